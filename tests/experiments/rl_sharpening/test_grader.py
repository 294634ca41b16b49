"""rl-sharpening grading: exact, and a malformed answer is wrong and counted unparseable."""

from __future__ import annotations

import pytest

from codegap.claims import claim_by_id
from codegap.experiments.rl_sharpening import generator, grader

DEFAULTS = dict(claim_by_id("rl-sharpening").experiment.parameters)
ORG = generator.unit(0, 0, DEFAULTS)[0]
SERVED = generator.unit(0, 0, {**DEFAULTS, "base_model": "x/a", "rl_model": "x/b"})[0]


def test_organism_answers_are_graded_exactly() -> None:
    g = grader.grade(ORG, ORG.answer)
    assert g.correct and not g.unparseable and g.value == ORG.value
    wrong = ORG.answer[:-1] + str((int(ORG.answer[-1]) + 1) % 10)
    g = grader.grade(ORG, wrong)
    assert not g.correct and not g.unparseable and g.detail == "wrong"
    assert not grader.grade(ORG, ORG.answer[::-1]).correct or ORG.answer == ORG.answer[::-1]


@pytest.mark.parametrize("reply", ["", "1234", "123456", "12+45", "1234=", "=====", "+1234"])
def test_malformed_organism_answers_are_unparseable(reply: str) -> None:
    g = grader.grade(ORG, reply)
    assert not g.correct and g.unparseable and g.value is None


def test_served_answers_are_read_after_the_marker() -> None:
    v = SERVED.value
    assert grader.grade(SERVED, f"Let me compute.\nAnswer: {v}").correct
    assert grader.grade(SERVED, f"Answer: {v}\nI hope this answer is correct.").correct
    assert not grader.grade(SERVED, f"Answer: {v + 1}").correct
    neg = grader.grade(SERVED, f"Answer: \u2212{abs(v)}")
    assert neg.value == -abs(v) and not neg.unparseable


@pytest.mark.parametrize("reply", ["", "I cannot compute this.", "Answer: many", "the values are 3 and 4"])
def test_malformed_served_answers_are_unparseable(reply: str) -> None:
    g = grader.grade(SERVED, reply)
    assert not g.correct and g.unparseable
