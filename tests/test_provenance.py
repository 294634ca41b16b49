"""Provenance flags are computed from the records.

Each rule has a fixture record in tests/fixtures/claims/provenance/ that must
raise its flag and one that must not; records the schema must refuse live in
refused/. The last tests pin the corrected ledger (the cases issue 12 names)
and, when ../shared is present, cross-check committed anchor metadata against
the offline arXiv mirror.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import pytest

from codegap.book import claim_page
from codegap.claims import load_claim_file, load_claims
from codegap.provenance import (
    attribution_matches,
    check_numbers,
    checked,
    date_flags,
    flags,
    fmt_value,
    mirror_mismatches,
    not_checked,
    number_flags,
    support,
)

from conftest import FIXTURES, REPO

PROV = FIXTURES / "claims" / "provenance"


@functools.lru_cache(maxsize=None)
def _ledger(directory: Path) -> tuple:
    return tuple(load_claims(directory))


def _claim(cid, directory=REPO / "claims"):
    return next(c for c in _ledger(directory) if c.id == cid)


def _fx(name):
    claim, problems = load_claim_file(PROV / f"{name}.yaml")
    assert problems == [] and claim is not None, problems
    return claim


def _kinds(claim):
    return sorted(f.kind for f in flags(claim))


def _text(md: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(md))


# ------------------------------------------------------------ rules on fixtures


def test_every_flag_fixture_validates():
    claims = load_claims(PROV)
    assert len(claims) == len(list(PROV.glob("*.yaml")))


def test_no_stating_source_is_flagged_and_its_exact_date_too():
    c = _fx("no-stating-source")
    assert support(c) == "evidence only"
    fl = flags(c)
    assert [f.kind for f in fl] == ["source", "date"]
    assert "No primary source states this claim" in fl[0].message
    # An exact date ("2026-01-15") with no stating anchor still gets the date flag.
    assert '"2026-01-15"' in fl[1].message and "no primary paper stating it" in fl[1].message


def test_a_stated_claim_in_its_period_raises_nothing():
    c = _fx("stated-in-period")
    assert support(c) == "stated" and flags(c) == []
    assert any("Stating paper" in x for x in checked(c))


def test_unsupported_claim_with_an_untraceable_table():
    c = _fx("unsupported")
    assert support(c) == "unsupported"
    fl = flags(c)
    assert fl[0].kind == "source" and fl[0].message.startswith("Unsupported")
    assert [chk.status for chk in check_numbers(c)] == ["untraceable"]
    assert any(f.kind == "number" and "cannot be traced" in f.message for f in fl)
    page = _text(claim_page._provenance(c))
    assert "**Unsupported.**" in page and "unverified" not in page


def test_stating_paper_outside_an_approximate_period_is_flagged():
    fl = [f.message for f in date_flags(_fx("date-outside-period"))]
    assert len(fl) == 2 and all('"~2024"' in m for m in fl)
    assert "no primary paper stating it comes from that period" in fl[0]
    assert "appeared later (3 June 2025)" in fl[1]


def test_a_date_the_primary_source_contradicts_is_flagged():
    fl = date_flags(_fx("cited-date-contradicted"))
    assert len(fl) == 1
    assert 'dates Web write-up "2025"' in fl[0].message and "5 February 2026" in fl[0].message
    assert date_flags(_fx("cited-date-agrees")) == []


def test_citing_later_work_for_an_earlier_claim_is_flagged():
    fl = date_flags(_fx("cites-later-work"))
    assert len(fl) == 1 and "Later paper" in fl[0].message and "appeared later" in fl[0].message


def test_author_attribution_is_compared_with_the_anchor():
    bad = flags(_fx("author-mismatch"))
    assert [f.kind for f in bad] == ["author"]
    assert '"Huang et al."' in bad[0].message and "Yiyou Sun" in bad[0].message
    good = _fx("author-match")
    assert flags(good) == [] and any('"Sun et al."' in x for x in checked(good))


def test_an_attribution_with_no_committed_authors_is_listed_as_not_checked():
    c = _fx("author-not-committed")
    assert flags(c) == []
    assert any('"Shao et al."' in x and "no author list" in x for x in not_checked(c))
    page = _text(claim_page._provenance(c))
    assert "Not checked (1)" in page


@pytest.mark.parametrize("text, ok", [
    ("Sun et al.", True), ("Yiyou Sun et al.", True), ("Huang et al.", False),
    ("Y. Sun et al.", True), ("G. Sun et al.", False), ("Sun", False),
    ("Yiyou Sun, Georgia Zhou, and Hao Wang", True), ("Yiyou Sun and Hao Wang", False),
])
def test_attribution_matching(text, ok):
    assert attribution_matches(text, ["Yiyou Sun", "Georgia Zhou", "Hao Wang"]) is ok


def test_second_hand_numbers_are_never_reported_and_never_agree():
    c = _fx("second-hand-number")
    [chk] = check_numbers(c)
    assert chk.status == "second-hand only"
    assert any("a magazine summary" in x for x in not_checked(c))
    page = _text(claim_page._anchors(c) + claim_page._provenance(c))
    assert "| reported |" not in page and "✓ agrees" not in page
    assert "second-hand, not read in the paper" in page
    # The same number read in the paper agrees.
    f = _fx("first-hand-number")
    assert [x.status for x in check_numbers(f)] == ["agrees"]
    assert "| reported |" in _text(claim_page._anchors(f))


def test_relative_and_absolute_changes_are_not_compared():
    c = _fx("relative-vs-absolute")
    assert [x.status for x in check_numbers(c)] == ["not comparable"]
    assert [f.kind for f in number_flags(c)] == ["number"]
    assert "39 points" in number_flags(c)[0].message and "39% (relative change)" in number_flags(c)[0].message
    assert [x.status for x in check_numbers(_fx("relative-vs-relative"))] == ["agrees"]


def test_changes_are_rendered_as_what_they_are():
    assert fmt_value(39.0, "%", "relative") == "39% (relative change)"
    assert fmt_value(17.0, "%", "absolute") == "17 points"
    assert fmt_value(88.4, "%") == "88.4%"
    assert "does not say" in fmt_value(65.0, "%", "unstated")
    assert fmt_value(7200, "s") == "7,200 s"


def test_a_relation_without_justification_is_flagged():
    assert _kinds(_fx("unjustified-relation")) == ["relation"]
    assert "⚠ no justification" in _text(claim_page._anchors(_fx("unjustified-relation")))


def test_year_and_month_dates_keep_their_precision():
    c = _fx("partial-dates")
    a, b = c.anchors
    assert (a.date.precision, a.date.human(), str(a.date)) == ("year", "2026", "2026")
    assert (b.date.precision, b.date.human()) == ("month", "February 2026")
    assert flags(c) == []
    assert "first public 2026." in _text(claim_page._anchors(c))


@pytest.mark.parametrize("name, field, words", [
    ("placeholder-day", "anchors[0].date", "looks like a placeholder day"),
    ("arxiv-month", "anchors[0].date", "contradicts arXiv id 2506.02878v1"),
    ("relative-not-percent", "anchors[0].numbers[0]", "unit must be '%'"),
    ("dangling-citation", "sources[0].cites[0].anchor", "names no anchor"),
])
def test_the_schema_refuses(name, field, words):
    path = PROV / "refused" / f"{name}.yaml"
    claim, problems = load_claim_file(path)
    assert claim is None and problems
    assert (problems[0].field, words in problems[0].reason) == (field, True), problems[0]


def test_no_flags_says_what_was_checked():
    page = _text(claim_page._provenance(_fx("stated-in-period")))
    assert "No flags. Checked: the note's date against the date of Stating paper" in page
    assert "Not checked" not in page


# ------------------------------------------------------------- the real ledger


def test_evalplus_seed_is_flagged_against_the_published_numbers():
    claim = _claim("test-insufficiency")
    checks = {(c.seed.model, c.seed.metric): c for c in check_numbers(claim)}
    he = checks[("GPT-4", "HumanEval pass@1 (greedy)")]
    hp = checks[("GPT-4", "HumanEval+ pass@1 (greedy)")]
    assert (he.seed.value, he.published.value, he.status) == (67.0, 88.4, "differs")
    assert (hp.seed.value, hp.published.value, hp.status) == (50.0, 76.2, "differs")
    assert checks[("CodeGen-16B", "HumanEval pass@1 (greedy)")].status == "agrees"
    assert "leaderboard" in checks[("CodeGen-16B", "HumanEval pass@1 (greedy)")].published.where
    msgs = [f.message for f in number_flags(claim)]
    assert any("as 67.0%" in m and "88.4%" in m for m in msgs)


def test_approximate_dates_without_a_stating_paper_are_flagged():
    for cid in ("iterative-execution", "backtracking-limit", "verification-gap"):
        fl = date_flags(_claim(cid))
        assert len(fl) == 1 and "no primary paper stating it" in fl[0].message, cid


def test_claims_no_primary_source_states():
    expected = {
        "iterative-execution": "unsupported", "visual-specifications": "unsupported",
        "backtracking-limit": "evidence only", "verification-gap": "evidence only",
        "format-brittleness": "evidence only", "insecure-patterns": "evidence only",
        "sft-ceiling": "evidence only",
    }
    for c in _ledger(REPO / "claims"):
        assert support(c) == expected.get(c.id, "stated"), c.id
        assert bool(flags(c) and flags(c)[0].kind == "source") == (c.id in expected), c.id


def test_an_exact_note_date_with_no_stating_source_is_flagged():
    fl = date_flags(_claim("insecure-patterns"))
    assert len(fl) == 1 and '"2026-01"' in fl[0].message


def test_a_dated_claim_with_a_stating_paper_in_period_is_not_flagged():
    for cid in ("cot-imitation", "multi-turn-lock-in", "test-insufficiency", "self-invoking-code"):
        assert date_flags(_claim(cid)) == [], cid


def test_a_later_paper_the_claim_rests_on_is_flagged():
    fl = date_flags(_claim("environment-scaling"))
    assert any("Nex-N1" in f.message and "later" in f.message for f in fl)


def test_the_compiler_write_up_is_dated_2026_not_2025():
    c = _claim("proxy-reward-trap")
    assert all(a.date.lo.year == 2026 and a.date.precision == "day" for a in c.anchors)
    assert any("footnote 5" in f.message and '"2025"' in f.message and "5 February 2026" in f.message
               for f in date_flags(c))
    assert sum("footnote 6" in x for x in not_checked(c)) == 3  # 2 h, 10 s, 158,000x


def test_misattributed_authors_are_flagged():
    msgs = [f.message for f in flags(_claim("sft-ceiling")) if f.kind == "author"]
    assert len(msgs) == 2
    assert any('"Huang et al."' in m and "Yiyou Sun" in m for m in msgs)
    assert any('"Chen et al."' in m and "Lu Ma" in m for m in msgs)
    assert not [f for f in flags(_claim("rl-sharpening")) if f.kind == "author"]


def test_multi_turn_drop_is_a_relative_mismatch():
    c = _claim("multi-turn-lock-in")
    [chk] = check_numbers(c)
    assert chk.status == "differs" and chk.published.change == "relative" and chk.seed.change == "relative"
    page = _text(claim_page._provenance(c))
    assert "39% (relative change)" in page and "unverified" not in page


def test_second_hand_figures_in_the_ledger_are_marked():
    cot = _claim("cot-imitation")
    assert all(n.second_hand_from for a in cot.anchors for n in a.numbers)
    assert "| reported |" not in _text(claim_page._anchors(cot))
    rl = _claim("rl-sharpening")
    assert all(n.second_hand_from for a in rl.anchors for n in a.numbers)
    assert {a.relation for a in rl.anchors} == {"states-claim", "challenges"}


def test_non_transferable_page_says_it_tests_on_training_data():
    page = _text(claim_page._provenance(_claim("non-transferable-knowledge")))
    assert "tests on its training data" in page and "single run" in page


def test_every_anchor_in_the_ledger_justifies_its_relation():
    for c in _ledger(REPO / "claims"):
        assert not [f for f in flags(c) if f.kind == "relation"], c.id


def test_fixture_claim_flags_every_kind_it_breaks():
    claim = _claim("tiny-live", FIXTURES / "claims" / "good")
    assert _kinds(claim) == ["date", "number", "relation"]


# --------------------------------------------------- cross-check with the mirror


def _subset() -> Path:
    """The committed few-thousand-record mirror subset: it holds every arXiv anchor of the claims."""
    from fetch_support import MIRROR_SUBSET

    return MIRROR_SUBSET


def test_committed_anchor_metadata_agrees_with_the_arxiv_mirror():
    problems, seen = mirror_mismatches(_ledger(REPO / "claims"), _subset())
    assert problems == []
    assert seen >= 15  # every arXiv anchor is in the subset


@pytest.mark.full_mirror
def test_committed_anchor_metadata_agrees_with_the_full_arxiv_mirror():
    from fetch_support import full_mirror_snapshot

    problems, seen = mirror_mismatches(_ledger(REPO / "claims"), full_mirror_snapshot())
    assert problems == []
    assert seen >= 15


def test_the_mirror_cross_check_catches_a_wrong_author_list(tmp_path: Path):
    snapshot = _subset()
    for p in (REPO / "claims").glob("*.yaml"):  # the same anchors, so the scan is reused
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    text = (REPO / "claims" / "sft-ceiling.yaml").read_text(encoding="utf-8")
    text = text.replace("[Yiyou Sun, Georgia Zhou,", "[Yiyou Huang, Georgia Zhou,")
    text = text.replace("date: 2025-04-16", "date: 2025-04-02")
    (tmp_path / "sft-ceiling.yaml").write_text(text, encoding="utf-8")
    problems, _ = mirror_mismatches(load_claims(tmp_path), snapshot)
    assert any("2504.11741: authors" in p for p in problems)
    assert any("2504.11741: date 2025-04-02" in p for p in problems)
