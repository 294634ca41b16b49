"""Provenance flags are computed from the records: the cases the issue names."""

from __future__ import annotations

from codegap.claims import load_claims
from codegap.provenance import check_numbers, date_flags, flags, number_flags

from conftest import FIXTURES, REPO


def _claim(cid, directory=REPO / "claims"):
    return next(c for c in load_claims(directory) if c.id == cid)


def test_evalplus_seed_is_flagged_against_the_published_numbers():
    claim = _claim("test-insufficiency")
    checks = {(c.seed.model, c.seed.metric): c for c in check_numbers(claim)}
    he = checks[("GPT-4", "HumanEval pass@1 (greedy)")]
    hp = checks[("GPT-4", "HumanEval+ pass@1 (greedy)")]
    assert (he.seed.value, he.published.value, he.status) == (67.0, 88.4, "differs")
    assert (hp.seed.value, hp.published.value, hp.status) == (50.0, 76.2, "differs")
    # CodeGen-16B's HumanEval figure is right in the note; it must not be flagged.
    assert checks[("CodeGen-16B", "HumanEval pass@1 (greedy)")].status == "agrees"
    msgs = [f.message for f in number_flags(claim)]
    assert any("as 67.0%" in m and "88.4%" in m for m in msgs)


def test_approximate_dates_without_a_stating_paper_are_flagged():
    for cid in ("iterative-execution", "backtracking-limit"):
        fl = date_flags(_claim(cid))
        assert len(fl) == 1 and '"~2024"' in fl[0].message, cid


def test_a_dated_claim_with_a_stating_paper_in_period_is_not_flagged():
    assert date_flags(_claim("verification-gap")) == []
    assert date_flags(_claim("cot-imitation")) == []


def test_a_later_paper_the_claim_rests_on_is_flagged():
    fl = date_flags(_claim("environment-scaling"))
    assert any("Nex-N1" in f.message and "later" in f.message for f in fl)


def test_agreeing_seed_numbers_raise_no_flag():
    claim = _claim("self-invoking-code")
    assert {c.status for c in check_numbers(claim)} == {"agrees"}
    assert number_flags(claim) == []


def test_fixture_claim_flags_both_kinds():
    claim = _claim("tiny-live", FIXTURES / "claims" / "good")
    kinds = sorted(f.kind for f in flags(claim))
    assert kinds == ["date", "number"]
