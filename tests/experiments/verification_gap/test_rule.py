"""verification-gap analysis and rule on constructed samples (no server, no sandbox).

These pin what the README says the baselines score: a model that never revises
gets `premise not met`; a verifier that always says "correct" scores 0.5
accuracy and 0 discrimination; a random model that always writes plausible
code never gets `holds`; a model without the limitation gets `does not hold`.
"""

from __future__ import annotations

import numpy as np
import pytest

from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments import verification_gap as vg
from codegap.samples import SampleRow, frame

CLAIM = claim_by_id("verification-gap")
PARAMS = dict(CLAIM.experiment.parameters)
R = int(PARAMS["rounds"])
BUDGET = CLAIM.experiment.budget.max_units


def unit_rows(u: int, intrinsic: list[bool], feedback: list[bool], *, in_edits: list[bool] | None = None,
              fb_edits: list[bool] | None = None, right_says: str | None = "correct",
              wrong_says: str | None = "correct", planted_edit: bool = False, planted_fix: bool = False,
              first_unparseable: bool = False) -> list[SampleRow]:
    """The samples of one unit: chains given as correctness per round (round 0 first)."""
    rows = []
    for arm, chain, edits in (("intrinsic", intrinsic, in_edits), ("feedback", feedback, fb_edits)):
        edits = edits if edits is not None else [a != b for a, b in zip(chain, chain[1:])]
        for k, ok in enumerate(chain):
            rows.append(SampleRow(unit=u, instance=f"u{u}", arm=arm, round=k, reply="first" if k == 0 else f"r{k}",
                                  correct=ok, unparseable=first_unparseable and k == 0,
                                  parsed={"edited": None if k == 0 else edits[k - 1]}))
    for arm, said, truth in (("verify_right", right_says, "correct"), ("verify_wrong", wrong_says, "wrong")):
        rows.append(SampleRow(unit=u, instance=f"u{u}", arm=arm, parsed=said, correct=said == truth,
                              unparseable=said is None))
    rows.append(SampleRow(unit=u, instance=f"u{u}", arm="planted", correct=planted_fix,
                          parsed={"edited": planted_edit or planted_fix}))
    return rows


def decide(rows: list[SampleRow]):
    ev = evaluate(vg.CHECK, CLAIM, rows, PARAMS)
    return ev.decision.verdict, {m.name: m for m in ev.metrics}


def test_a_model_that_never_revises_gets_premise_not_met() -> None:
    """Issue 9: the engagement check gates the verdict."""
    rng = np.random.default_rng(0)
    rows = []
    for u in range(BUDGET):
        ok = bool(rng.random() < 0.5)
        rows += unit_rows(u, [ok] * (R + 1), [ok] * (R + 1))
    verdict, m = decide(rows)
    assert verdict == "premise not met"
    assert m["planted_edit_rate"].value == m["intrinsic_edit_rate"].value == m["feedback_edit_rate"].value == 0
    # the trivial verifier ("always correct") scores chance exactly
    assert m["verifier_accuracy"].value == 0.5 and m["verifier_discrimination"].value == 0


def test_flips_and_the_paired_comparison_are_per_problem() -> None:
    rows = (unit_rows(0, [True, False, False], [True, True, True], planted_edit=True)      # review breaks it
            + unit_rows(1, [False, False, False], [False, True, True], planted_edit=True)  # feedback fixes it
            + unit_rows(2, [False, True, True], [False, False, False], planted_edit=True))  # review fixes it
    obs = {o.name: o for o in vg.CHECK.analyse(frame(rows), PARAMS)}
    assert obs["intrinsic_gain"].values == (-1.0, 0.0, 1.0)
    assert obs["feedback_gain"].values == (0.0, 1.0, 0.0)
    assert obs["feedback_minus_intrinsic"].values == (1.0, 1.0, -1.0)
    assert obs["feedback_minus_intrinsic"].bounds == (-2.0, 2.0)
    assert obs["intrinsic_correct_to_wrong"].values == (1.0, 0.0, 0.0)
    assert obs["intrinsic_wrong_to_correct"].values == (0.0, 0.0, 1.0)
    assert obs["feedback_wrong_to_correct"].values == (0.0, 1.0, 0.0)
    assert obs["intrinsic_edit_rate"].values == (0.5, 0.0, 0.5)
    assert obs["verification_gap"].values == (-0.5, 0.5, 0.5)  # verifier 0.5 (always "correct") minus round 0


def test_the_verdict_is_read_from_the_last_verifier_turn() -> None:
    rows = []
    for u in range(3):
        rows += [r for r in unit_rows(u, [True] * 3, [True] * 3, planted_edit=True) if r.arm != "verify_wrong"]
        rows.append(SampleRow(unit=u, instance=f"u{u}", arm="verify_wrong", round=0, parsed=None, unparseable=True))
        rows.append(SampleRow(unit=u, instance=f"u{u}", arm="verify_wrong", round=1, parsed="wrong", correct=True))
    obs = {o.name: o for o in vg.CHECK.analyse(frame(rows), PARAMS)}
    assert obs["verifier_discrimination"].values == (1.0, 1.0, 1.0)
    assert obs["unparseable_rate"].values == (0.0, 0.0, 0.0)


def test_feedback_correct_to_wrong_is_counted() -> None:
    rows = sum((unit_rows(u, [True] * 3, [True, False, False], planted_edit=True) for u in range(12)), [])
    _, m = decide(rows)
    assert m["feedback_correct_to_wrong"].value == 1.0 and m["feedback_gain"].value == -1.0


@pytest.mark.parametrize("seed", range(2))
def test_a_random_model_that_writes_plausible_code_never_holds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n in (50, BUDGET):
        rows = []
        for u in range(n):
            r = np.random.default_rng([seed, u])
            rows += unit_rows(u, [bool(x) for x in r.random(R + 1) < 0.3], [bool(x) for x in r.random(R + 1) < 0.3],
                              right_says=str(r.choice(["correct", "wrong"])),
                              wrong_says=str(r.choice(["correct", "wrong"])),
                              planted_edit=bool(r.random() < 0.6), planted_fix=bool(r.random() < 0.2))
        verdict, _ = decide(rows)
        assert verdict != "holds"
    del rng


def test_a_model_without_the_limitation_does_not_hold() -> None:
    """It writes wrong code half the time, but review finds and fixes it, and it verifies reliably."""
    rng = np.random.default_rng(3)
    rows = []
    for u in range(60):
        ok = bool(rng.random() < 0.5)
        chain = [ok, True, True]
        rows += unit_rows(u, chain, chain, right_says="correct", wrong_says="wrong", planted_fix=True)
    verdict, m = decide(rows)
    assert verdict == "does not hold"
    assert m["intrinsic_gain"].ci_low >= 0.1 and m["verifier_discrimination"].ci_low >= 0.5


def test_the_claimed_limitation_holds() -> None:
    """Cannot verify (accepts everything), review edits blindly, feedback fixes what the tests catch."""
    rng = np.random.default_rng(5)
    rows = []
    for u in range(60):
        ok = bool(rng.random() < 0.5)
        broken = ok and bool(rng.random() < 0.4)
        intrinsic = [ok, not broken if ok else False, not broken if ok else False]
        rows += unit_rows(u, intrinsic, [ok, True, True], planted_edit=bool(rng.random() < 0.5))
    verdict, m = decide(rows)
    assert verdict == "holds", [(k, v.value, v.ci_low, v.ci_high) for k, v in m.items()]


def test_unreadable_first_answers_fail_the_premise() -> None:
    rows = sum((unit_rows(u, [False] * 3, [False, True, True], planted_edit=True, right_says=None,
                          wrong_says=None, first_unparseable=True) for u in range(40)), [])
    verdict, m = decide(rows)
    assert verdict == "premise not met" and m["unparseable_rate"].value == 0.8
