"""self-invoking-code: pairs (f, g) with verified references, grading of the three arms, the rule's design."""

from __future__ import annotations

import json
import random
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap import experiments
from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments.function_problems.inputs import normalised
from codegap.experiments.function_problems.problem import show
from codegap.experiments.self_invoking_code import composition, generator, synthetic, task
from codegap.samples import SampleRow
from support.report_notebook import check_report_notebook

CLAIM = claim_by_id("self-invoking-code")
PARAMS = CLAIM.experiment.parameters
CHECK = experiments.get("self-invoking-code")
UNITS = range(3 * len(PARAMS["families"]))


def pair_program(inst: generator.Instance, g_body: str | None = None) -> Callable[..., Any]:
    """f's and g's reference sources executed in-process (our own generated code, never a model's)."""
    ns: dict[str, Any] = {}
    exec(inst.problem.spec.code() + "\n" + inst.composite.code(g_body), ns)  # noqa: S102
    return ns[inst.g_name]


def outcome(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    try:
        return normalised(fn(*json.loads(json.dumps(args))))
    except Exception as exc:
        return f"raised {type(exc).__name__}"


def req(inst: generator.Instance, arm: str):
    return next(r for r in CHECK.requests(inst, PARAMS) if r.arm == arm)


# --- instances ---------------------------------------------------------------------------------

@pytest.mark.parametrize("index", UNITS)
def test_pairs_are_valid_and_verified(index: int) -> None:
    inst = CHECK.unit(index, 11, PARAMS)[0]
    comp = inst.composite
    assert composition.fits(inst.template, inst.problem.spec) and inst.template in PARAMS["templates"]
    assert len(inst.g_suite) == PARAMS["g_tests"] and len({repr(c.args) for c in inst.g_suite}) == PARAMS["g_tests"]
    assert len(inst.problem.augmented) == PARAMS["f_tests"]
    # independent route: g's reference source on f's reference source agrees with g's reference callable
    fn = pair_program(inst)
    for case in (inst.g_example, *inst.g_suite):
        assert outcome(fn, case.args) == case.expected, (inst.id, case.args)
    # every buggy g fails g's suite; the reference g calls f
    for bug, body in comp.mutants:
        bad = pair_program(inst, body)
        assert any(outcome(bad, c.args) != c.expected for c in inst.g_suite), f"{inst.id}: {bug} survives"
    assert inst.f_name in comp.body and inst.f_name in comp.doc


def test_units_are_pure_and_every_template_is_used() -> None:
    a = CHECK.unit(4, 3, PARAMS)[0]
    b = CHECK.unit(4, 3, PARAMS)[0]
    assert a.g_suite == b.g_suite and [r.prompt for r in CHECK.requests(a, PARAMS)] == \
        [r.prompt for r in CHECK.requests(b, PARAMS)]
    assert {CHECK.unit(i, 0, PARAMS)[0].template for i in range(80)} == set(PARAMS["templates"])


def test_arms_show_what_they_should() -> None:
    for i in range(13):
        inst = CHECK.unit(i, 0, PARAMS)[0]
        base, own, sup = (req(inst, a).prompt for a in task.ARMS)
        body_line = inst.problem.spec.body.splitlines()[0]
        assert inst.g_name not in base and f"def {inst.f_name}(" in base
        assert f"def {inst.f_name}(" in own and f"def {inst.g_name}(" in own and body_line not in own
        assert body_line in sup and f"def {inst.g_name}(" in sup
        assert f"{inst.g_name}({show(inst.g_example.args[0])})" in own
        budgets = {a: req(inst, a).max_tokens for a in task.ARMS}
        assert budgets["self_invoking"] >= max(2 * budgets["base"], budgets["supplied"])


def test_bad_parameters_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="unknown families/templates"):
        CHECK.unit(0, 0, {**PARAMS, "templates": ["map"]})
    with pytest.raises(ValueError, match="no template"):
        CHECK.unit(0, 0, {**PARAMS, "families": ["run_length"], "templates": ["repeated"]})


@settings(max_examples=30, deadline=None)
@given(index=st.integers(0, 400), seed=st.integers(0, 10_000),
       xss=st.lists(st.lists(st.integers(-8, 8), max_size=7), max_size=4))
def test_g_reference_agrees_with_its_source_on_any_input(index: int, seed: int, xss: list[list[int]]) -> None:
    inst = CHECK.unit(index, seed, PARAMS)[0]
    arg: Any = xss if inst.composite.arg == "xss" else [x for xs in xss for x in xs]
    assert outcome(pair_program(inst), (arg,)) == normalised(inst.composite.reference(arg))


# --- grading -------------------------------------------------------------------------------------

@pytest.mark.parametrize("arm", task.ARMS)
@pytest.mark.parametrize("reply", ["", "Use a loop.", "```python\ndef nothing():\n    pass\n```"])
def test_malformed_replies_are_wrong_and_unparseable(arm: str, reply: str) -> None:
    inst = CHECK.unit(0, 0, PARAMS)[0]
    g = CHECK.grade(inst, req(inst, arm), reply, 0)
    assert not g.correct and g.unparseable


def test_the_supplied_arm_runs_g_on_the_reference_f() -> None:
    inst = CHECK.unit(1, 0, PARAMS)[0]
    spec = inst.problem.spec
    wrong_f = f"{spec.signature}\n    return None\n"
    reply = synthetic._fenced(wrong_f, inst.composite.code())
    assert CHECK.grade(inst, req(inst, "supplied"), reply, 0).correct
    g = CHECK.grade(inst, req(inst, "self_invoking"), reply, 0)
    assert not g.value["own_f_correct"] and g.value["calls_f"] and g.value["own_f"]


def test_the_self_invoking_arm_reports_own_f_and_whether_g_calls_it() -> None:
    inst = CHECK.unit(2, 0, PARAMS)[0]
    rng = random.Random(0)
    right = CHECK.grade(inst, req(inst, "self_invoking"), synthetic.perfect(inst, req(inst, "self_invoking"), 0, [], rng), 0)
    assert right.correct and right.value["own_f_correct"] and right.value["calls_f"]
    only_g = synthetic._fenced(inst.composite.code())
    g = CHECK.grade(inst, req(inst, "self_invoking"), only_g, 0)
    assert not g.correct and not g.unparseable and g.value["own_f"] is False and "no " in g.detail


# --- the rule ------------------------------------------------------------------------------------

def rows(pattern: list[tuple[int, int, int]], truncated_self: bool = False) -> list[SampleRow]:
    """(base, supplied, self) outcomes per pair as graded rows (no model, no sandbox)."""
    out = []
    for u, (b, s, o) in enumerate(pattern):
        for arm, ok in (("base", b), ("supplied", s), ("self_invoking", o)):
            out.append(SampleRow(unit=u, instance=f"u{u}", arm=arm, correct=bool(ok),
                                 truncated=truncated_self and arm == "self_invoking",
                                 parsed={"own_f_correct": bool(b), "calls_f": True},
                                 meta={"family": "records", "template": "per_piece"}))
    return out


def verdict(pattern: list[tuple[int, int, int]], **kw: Any) -> str:
    return evaluate(CHECK, CLAIM, rows(pattern, **kw), PARAMS).decision.verdict


def test_a_harder_g_alone_is_not_the_claimed_failure() -> None:
    """f always right; g right on 40% of pairs whoever wrote f: big published drop, no composition deficit."""
    pattern = [(1, 1, 1), (1, 0, 0), (1, 0, 0), (1, 1, 1), (1, 0, 0)] * 26
    ev = evaluate(CHECK, CLAIM, rows(pattern), PARAMS)
    m = {x.name: x for x in ev.metrics}
    assert m["self_invoking_drop"].ci_low > 0.05 and m["composition_deficit"].value == 0
    assert ev.decision.verdict == "does not hold"


def test_errors_of_f_carried_into_g_are_not_the_claimed_failure() -> None:
    """f wrong on 40% of pairs and g fails exactly then: self equals base * supplied, no deficit."""
    pattern = [(1, 1, 1), (0, 1, 0), (1, 1, 1), (0, 1, 0), (1, 1, 1)] * 26
    assert verdict(pattern) == "does not hold"


def test_failing_to_build_on_its_own_f_holds() -> None:
    assert verdict([(1, 1, 0), (1, 1, 1), (1, 1, 0), (0, 1, 0)] * 12) == "holds"


def test_premises_gate_the_verdict() -> None:
    assert verdict([(0, 1, 0)] * 40) == "premise not met"  # cannot write f
    assert verdict([(1, 0, 0)] * 40) == "premise not met"  # cannot write g even on a correct f
    assert verdict([(1, 1, 0)] * 40, truncated_self=True) == "premise not met"  # two-function replies cut off


# --- the report notebook ----------------------------------------------------------------------------

def test_notebook_parameters_are_the_yaml_defaults_and_the_two_files_agree() -> None:
    check_report_notebook("self-invoking-code")
