"""Grader properties: reading schedules, malformed answers, kinds of error, the solver arm in the sandbox, feedback."""

from __future__ import annotations

import warnings

import pytest

from codegap.claims import claim_by_id
from codegap.experiments import get
from codegap.experiments.backtracking_limit import generator as gen
from codegap.experiments.backtracking_limit import grader, task
from codegap.experiments.backtracking_limit.csp import Prim
from codegap.experiments.backtracking_limit.generator import Instance, Rule
from codegap.experiments.backtracking_limit.synthetic import reference_program
from codegap.experiments.base import Graded

PARAMS = claim_by_id("backtracking-limit").experiment.parameters
CHECK = get("backtracking-limit")


def _toy() -> Instance:
    """Ana < Ben < Cleo on three slots (only 1, 2, 3 works); Dan anywhere but slot 1."""
    rules = (Rule("Ana must speak before Ben.", (Prim("lt", 0, 1),), False, "before"),
             Rule("Ben must speak before Cleo.", (Prim("lt", 1, 2),), False, "before"),
             Rule("Dan cannot take the first slot of the day.", (Prim("in", 3, values=frozenset({2, 3})),),
                  True, "not_end"))
    return Instance("toy", 0, 0, ("Ana", "Ben", "Cleo", "Dan"), 3, 1, (("red", (0, 1, 2, 3)),), rules,
                    (1, 2, 3, 2), 0.0, 0, 1.0, 2, 2 / 81, 3)


@pytest.fixture(scope="module")
def real() -> Instance:
    return gen.unit(0, 0, PARAMS["levels"], PARAMS["people"], PARAMS["slots"], PARAMS["rules"])[1]


@pytest.mark.parametrize("reply, expected", [
    ("Answer: Ana=1, Ben=2, Cleo=3, Dan=2", {"Ana": 1, "Ben": 2, "Cleo": 3, "Dan": 2}),
    ("**Answer:** Ana: slot 1, Ben: slot 2, Cleo: slot 3, Dan: slot 3", {"Ana": 1, "Ben": 2, "Cleo": 3, "Dan": 3}),
    ("Try Ana=2, Ben=3.\nNo: Cleo has nothing left.\nFinal answer:\nAna is in slot 1\nBen is in slot 2\n"
     "Cleo is in slot 3\nDan is in slot 2", {"Ana": 1, "Ben": 2, "Cleo": 3, "Dan": 2}),
    ("Answer: Ana=1, Ben=2\nAnswer: Ana=1, Ben=2, Cleo=3, Dan=3\nI hope this is right.",
     {"Ana": 1, "Ben": 2, "Cleo": 3, "Dan": 3}),
    ("Ana=1, Ben=2, Cleo=3, Dan=2", {"Ana": 1, "Ben": 2, "Cleo": 3, "Dan": 2}),  # a bare final line
    ("Answer: Ana = 1, Ben = 2, Cleo = 3, Dan = −1", {"Ana": 1, "Ben": 2, "Cleo": 3, "Dan": -1}),
])
def test_reads_the_final_schedule(reply, expected):
    assert grader.parse_schedule(_toy(), reply) == expected


@pytest.mark.parametrize("reply", [
    "", "I cannot solve this.", "Ana=1, Ben=2 (and the rest I am not sure)",  # no marker, incomplete last line
    "Answer: ana=1, ben=2, cleo=3, dan=2",  # names are case-sensitive
    "Answer: Anastasia=1", "Let me think: Ana=1, Ben=2, Cleo=3.\nI ran out of time",
])
def test_replies_without_a_schedule_are_wrong_and_unparseable(reply):
    g = grader.grade_text(_toy(), reply)
    assert not g.correct and g.unparseable and g.detail == grader.NO_SCHEDULE


def test_right_incomplete_out_of_range_and_kinds_of_error():
    inst = _toy()
    assert grader.grade_text(inst, "Answer: Ana=1, Ben=2, Cleo=3, Dan=3").correct
    g = grader.grade_text(inst, "Answer: Ana=1, Ben=2, Cleo=3")
    assert not g.correct and not g.unparseable and g.detail.startswith(grader.INCOMPLETE) and "Dan" in g.detail
    g = grader.grade_text(inst, "Answer: Ana=1, Ben=2, Cleo=3, Dan=4")
    assert not g.correct and g.detail.startswith(grader.INCOMPLETE)
    dead = grader.grade_text(inst, "Answer: Ana=2, Ben=3, Cleo=3, Dan=2")
    assert dead.detail.startswith(grader.DEAD_END) and "at Cleo" in dead.detail and "requirement(s) 2" in dead.detail
    slip = grader.grade_text(inst, "Answer: Ana=1, Ben=1, Cleo=3, Dan=2")
    assert slip.detail.startswith(grader.AVOIDABLE) and "at Ben" in slip.detail


def test_revisions_in_the_reasoning_are_noticed():
    inst = _toy()
    assert grader.revises(inst, "Ana=2, Ben=3. Cleo does not fit. Ana=1, Ben=2, Cleo=3.\nAnswer: Ana=1, Ben=2, "
                                "Cleo=3, Dan=2")
    assert not grader.revises(inst, "Ana=1, Ben=2, Cleo=3, Dan=2\nAnswer: Ana=1, Ben=2, Cleo=3, Dan=2")


def test_program_output_forms():
    inst = _toy()
    assert grader.parse_output(inst, "Ana=1, Ben=2, Cleo=3, Dan=2\n") == {"Ana": 1, "Ben": 2, "Cleo": 3, "Dan": 2}
    assert grader.parse_output(inst, "{'Ana': 1, 'Ben': 2, 'Cleo': 3, 'Dan': 3}") == {"Ana": 1, "Ben": 2,
                                                                                    "Cleo": 3, "Dan": 3}
    assert grader.parse_output(inst, "solving...\nAna: 1\nBen: 2\nCleo: 3\nDan: 2") == {"Ana": 1, "Ben": 2,
                                                                                      "Cleo": 3, "Dan": 2}
    assert grader.parse_output(inst, "None") is None


def test_the_shipped_solver_answers_a_faithful_formalisation_in_the_sandbox(real):
    """Model programs run in the sandbox, which has no site-packages: the solver is shipped in with them."""
    warnings.simplefilter("ignore", RuntimeWarning)
    g = grader.grade_program(real, f"```python\n{reference_program(real)}\n```")
    assert g.correct, g.detail
    assert grader.engaged(g.detail, g.unparseable)
    api = ("```python\nfrom constraint import *\np = Problem(BacktrackingSolver())\n"
           f"p.addVariables({list(real.people)!r}, range(1, {real.slots + 1}))\n"
           f"p.addConstraint(AllDifferentConstraint(), {list(real.people[:3])!r})\n"
           "print(len(p.getSolutions()) > 0, p.getSolution() is not None)\n```")
    out = grader.grade_program(real, api)
    assert out.detail.startswith(grader.NO_OUTPUT) and "True True" in out.detail and not out.unparseable


def test_failed_programs_and_replies_without_code():
    warnings.simplefilter("ignore", RuntimeWarning)
    inst = _toy()
    z3 = grader.grade_program(inst, "```python\nimport z3\nprint('Ana=1')\n```")
    assert not z3.correct and not z3.unparseable and z3.detail.startswith(grader.PROGRAM_FAILED)
    assert not grader.engaged(z3.detail, z3.unparseable)
    none = grader.grade_program(inst, "I would use a solver.")
    assert none.unparseable and none.detail == grader.NO_CODE and not grader.engaged(none.detail, none.unparseable)
    crash = grader.grade_program(inst, "```python\nprint('Ana=1, Ben=2, Cleo=3, Dan=2')\n1 / 0\n```")
    assert not crash.correct and crash.detail.startswith(grader.PROGRAM_FAILED) and "ZeroDivisionError" in crash.detail


def test_the_checker_names_broken_requirements_never_a_fix():
    inst = _toy()
    req = next(r for r in CHECK.requests(inst, {"rounds": 3}) if r.arm == "retry")
    reply = "Answer: Ana=2, Ben=3, Cleo=3, Dan=1"
    msg = CHECK.follow_up(inst, req, reply, grader.grade_text(inst, reply), 0)
    assert msg is not None
    assert "Requirement 2 is broken (Ben is in slot 3, Cleo is in slot 3)" in msg
    assert "Requirement 3 is broken (Dan is in slot 1)" in msg and "Requirement 1 " not in msg
    assert msg.rstrip().endswith(task.answer_form(inst))
    assert "Ana=1" not in msg and "Ben=2" not in msg
    right = "Answer: Ana=1, Ben=2, Cleo=3, Dan=2"
    assert CHECK.follow_up(inst, req, right, grader.grade_text(inst, right), 0) is None
    one = next(r for r in CHECK.requests(inst, {"rounds": 3}) if r.arm == "one_pass")
    assert CHECK.follow_up(inst, one, reply, Graded(False, False), 0) is None
    missing = CHECK.follow_up(inst, req, "Answer: Ana=1", grader.grade_text(inst, "Answer: Ana=1"), 0)
    assert "no valid slot for Ben, Cleo and Dan" in missing
    assert "could not find a schedule" in CHECK.follow_up(inst, req, "hmm", grader.grade_text(inst, "hmm"), 0)


def test_arms_budgets_and_distinct_prompts(real):
    reqs = CHECK.requests(real, PARAMS)
    assert [r.arm for r in reqs] == list(task.ARMS)
    assert len({r.prompt for r in reqs}) == 3  # the synthetic server and the cache tell arms apart
    by = {r.arm: r for r in reqs}
    assert by["retry"].rounds == PARAMS["rounds"] and by["one_pass"].rounds == 1
    assert by["one_pass"].max_tokens == by["retry"].max_tokens == task.REASONING_TOKENS
    assert all(real.setting() in r.prompt for r in reqs)
    with pytest.raises(ValueError, match="rounds"):
        task.requests(real, 0)
