"""sft-ceiling grading: exact; malformed answers are wrong and unparseable; copied errors are recognised."""

from __future__ import annotations

import pytest

from codegap.claims import claim_by_id
from codegap.experiments.sft_ceiling import generator, grader

DEFAULTS = dict(claim_by_id("sft-ceiling").experiment.parameters)
PROBS = generator.unit(0, 0, DEFAULTS)
SYS_WRONG = next(p for p in PROBS if p.systematic != p.answer)
NOISY_WRONG = next(p for p in PROBS if p.noisy != p.answer)


def test_right_answers_and_copied_teacher_errors() -> None:
    assert grader.grade(SYS_WRONG, "systematic@8000", SYS_WRONG.answer).correct
    g = grader.grade(SYS_WRONG, "systematic@8000", SYS_WRONG.systematic)
    assert not g.correct and g.detail == "as its teacher"
    assert grader.grade(SYS_WRONG, "rl", SYS_WRONG.systematic).detail == "as its teacher"
    g = grader.grade(NOISY_WRONG, "noisy@500", NOISY_WRONG.noisy)
    assert not g.correct and g.detail == "as its teacher"
    other = str((NOISY_WRONG.value + 1) % 1000).zfill(4)[::-1]
    assert grader.grade(NOISY_WRONG, "noisy@500", other).detail in ("other", "")


@pytest.mark.parametrize("reply", ["", "123", "12345", "1+34", "12=4", "abcd"])
def test_malformed_answers_are_unparseable(reply: str) -> None:
    g = grader.grade(PROBS[0], "clean@8000", reply)
    assert not g.correct and g.unparseable and g.value is None
