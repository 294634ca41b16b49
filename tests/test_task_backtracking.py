"""Backtracking task: planted-solution generator, checker, parsers, z3 arm, retry solver, end-to-end."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.claims import claim_by_id
from codegap.tasks import backtracking as bt
from codegap.tasks.common import samples_frame, scripted_model
from codegap.verdicts import decide

seeds = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=60, deadline=None)
@given(seed=seeds, size=st.integers(2, 9), slots=st.integers(2, 4), density=st.floats(0.2, 1.0))
def test_problems_are_solvable_by_their_planted_schedule(seed, size, slots, density):
    for p in bt.generate(seed, size, 2, slots=slots, density=density):
        assert p.meetings == tuple(bt.NAMES[:size]) and p.size == size
        assert bt.violations(p, p.planted) == []
        assert all(1 <= s <= slots for s in p.planted.values())
        assert all(r.a in p.meetings and (r.kind == "not_in" or r.b in p.meetings) for r in p.rules)
        # Every meeting is touched by a rule: no free variable to pad the answer with.
        touched = {r.a for r in p.rules} | {r.b for r in p.rules if r.b}
        assert touched == set(p.meetings)


def test_independent_count_agrees_that_problems_are_solvable():
    for size in (3, 5, 7):
        for p in bt.generate(3, size, 5):
            assert bt.count_solutions(p) >= 1


@settings(max_examples=20, deadline=None)
@given(seed=seeds, size=st.integers(2, 8))
def test_same_seed_same_problems(seed, size):
    a, b = bt.generate(seed, size, 3), bt.generate(seed, size, 3)
    assert [(p.rules, p.planted) for p in a] == [(p.rules, p.planted) for p in b]


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="size"):
        bt.generate(0, 1, 1)
    with pytest.raises(ValueError, match="slots"):
        bt.generate(0, 3, 1, slots=1)


def _problem():
    return bt.Problem("t", 3, 3, ("A", "B", "C"),
                      (bt.Rule("apart", "A", "B"), bt.Rule("apart", "B", "C"), bt.Rule("not_in", "C", slot=1)),
                      {"A": 1, "B": 2, "C": 3})


def test_violations_and_grading():
    p = _problem()
    assert bt.violations(p, {"A": 1, "B": 2, "C": 3}) == []
    broken = bt.violations(p, {"A": 1, "B": 1, "C": 1})
    assert len(broken) == 3 and "both are in slot 1" in broken[0] and broken[2] == "C cannot be in slot 1."
    missing = bt.violations(p, {"A": 1, "B": 2})
    assert any("C has no slot" in m for m in missing)
    assert bt.grade_schedule(p, "Answer: A=1, B=2, C=3").correct
    g = bt.grade_schedule(p, "Answer: A=2, B=2, C=2")
    assert not g.correct and not g.unparseable and g.violated == 2
    assert bt.grade_schedule(p, "I cannot do this").unparseable
    assert bt.grade_schedule(p, "Answer: A=1, B=2, C=9").violated == 1  # slot out of range


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Answer: A=1, B=2, C=3", {"A": 1, "B": 2, "C": 3}),
        ("A: 1\nB: 2\nC: 3", {"A": 1, "B": 2, "C": 3}),
        ("Try A=1, B=1.\nAnswer: A=2, B=3, C=1", {"A": 2, "B": 3, "C": 1}),
        ("**Answer:** A = slot 3, B = slot 1, C = slot 2", {"A": 3, "B": 1, "C": 2}),
        ("Answer: Z=1", None),
        ("", None),
    ],
)
def test_parse_schedule(reply, expected):
    assert bt.parse_schedule(reply, ("A", "B", "C")) == expected


def test_constraint_dsl_and_z3():
    p = _problem()
    reply = "```\nA != B\n2. B != C\n- C != 1\nthis is not a constraint\nZ != A\n```"
    form = bt.parse_constraints(reply, p.meetings)
    assert form.constraints == (("A", "!=", "B"), ("B", "!=", "C"), ("C", "!=", "1"))
    assert len(form.rejected) == 2
    sched = bt.solve_constraints(form, p.meetings, p.slots)
    assert sched is not None and bt.violations(p, sched) == []
    assert bt.grade_solver(p, reply).correct
    # Missing a rule: the solver may pick a schedule that breaks it; graded against the true rules.
    partial = bt.grade_solver(p, "A != B")
    assert not partial.unparseable
    # Contradictory constraints: no schedule, scored wrong but parseable.
    unsat = bt.grade_solver(p, "A == 1\nA != 1")
    assert not unsat.correct and not unsat.unparseable and "unsatisfiable" in unsat.detail
    assert bt.grade_solver(p, "I'd rather not.").unparseable


@settings(max_examples=25, deadline=None)
@given(seed=seeds, size=st.integers(2, 8))
def test_a_faithful_formalisation_is_always_solved(seed, size):
    p = bt.generate(seed, size, 1)[0]
    lines = [f"{r.a} != {r.b}" if r.kind == "apart" else f"{r.a} != {r.slot}" for r in p.rules]
    assert bt.grade_solver(p, "\n".join(lines)).correct


def _scripted(fix_after_feedback: bool):
    """Scripted model: faithful constraints; schedules right at once, or only after the checker's feedback."""

    def answer(messages):
        first = messages[0].text
        p = _BY_PROMPT[first]
        if "constraint solver" in first:
            return "\n".join(f"{r.a} != {r.b}" if r.kind == "apart" else f"{r.a} != {r.slot}" for r in p.rules)
        if fix_after_feedback and len(messages) == 1:
            return "Answer: " + ", ".join(f"{m}=1" for m in p.meetings)  # wrong: some rule pairs two meetings
        return "Answer: " + ", ".join(f"{m}={s}" for m, s in p.planted.items())

    return answer


_BY_PROMPT: dict[str, bt.Problem] = {}


def _run(model, n=3, sizes=(3, 6), rounds=2):
    from inspect_ai import eval as inspect_eval

    for size in sizes:
        for p in bt.generate(0, size, n):
            for arm in bt.ARMS:
                _BY_PROMPT[bt.prompt(p, arm)] = p
    log = inspect_eval(bt.task(seed=0, n=n, sizes=sizes, rounds=rounds), model=model, display="none",
                       log_dir=None)[0]
    return samples_frame([log]), log


def test_end_to_end_oracle_solves_everything_and_claim_does_not_hold():
    df, _ = _run(scripted_model(_scripted(False)))
    assert df["correct"].all(), df[~df["correct"]][["sample_id", "detail"]]
    assert (df[df["arm"] == "retry"]["attempts"] == 1).all()
    ms = bt.metrics(df)
    assert {"one_pass_drop", "retry_drop", "solver_drop", "solver_minus_one_pass_hard"} <= {m.name for m in ms}
    rule = claim_by_id("backtracking-limit").experiment.verdict
    assert decide(rule.model_copy(update={"min_n": 1}), ms).verdict != "holds"  # n is too small for a decisive interval (score intervals stay wide); test_verdicts covers large n
    assert (bt.violations_table(df)["mean_violated"] == 0).all()


def test_end_to_end_retry_uses_the_checkers_feedback():
    df, log = _run(scripted_model(_scripted(True)))
    assert not df[df["arm"] == "one_pass"]["correct"].any()
    retry = df[df["arm"] == "retry"]
    assert retry["correct"].all() and (retry["attempts"] == 2).all()
    sample = next(s for s in log.samples if s.metadata["arm"] == "retry")
    feedback = [m.text for m in sample.messages if m.role == "user"][1]
    assert "breaks" in feedback and "Answer:" in feedback
    assert sample.metadata["attempt_violations"][0] > 0 and sample.metadata["attempt_violations"][1] == 0


def test_end_to_end_retry_gives_up_after_rounds():
    df, _ = _run(scripted_model(lambda messages: "no idea"), n=2, sizes=(3,), rounds=1)
    assert df["unparseable"].all() and not df["correct"].any()
    assert (df[df["arm"] == "retry"]["attempts"] == 2).all()


def test_notebook_runs_on_an_openai_compatible_server(tmp_path, monkeypatch):
    from tests.test_task_iterative import run_notebook_on_stub

    params = {"n": 10, "seed": 0, "sizes": [3, 6], "rounds": 1}
    for size in params["sizes"]:
        for p in bt.generate(params["seed"], size, params["n"]):
            for arm in bt.ARMS:
                _BY_PROMPT[bt.prompt(p, arm)] = p
    oracle = _scripted(False)

    class Msg:  # the stub hands plain strings; the scripted model reads `.text`
        def __init__(self, text):
            self.text = text

    out = run_notebook_on_stub("backtracking_limit", lambda prompt: oracle([Msg(prompt)]), params,
                               tmp_path, monkeypatch)
    by_name = {m.name: m for m in out["metrics"]}
    assert by_name["one_pass_drop"].value == 0 and by_name["solver_minus_one_pass_hard"].value == 0
    assert out["verdict"] != "holds"  # n is too small for a decisive interval (score intervals stay wide); test_verdicts covers large n
