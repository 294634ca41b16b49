"""test-insufficiency: instances, grading, the rule's design, and the report notebook."""

from __future__ import annotations

import random

import pytest

from codegap import experiments
from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments.function_problems.problem import show
from codegap.experiments.test_insufficiency import generator, synthetic
from codegap.samples import SampleRow
from support.report_notebook import check_report_notebook

CLAIM = claim_by_id("test-insufficiency")
PARAMS = CLAIM.experiment.parameters
CHECK = experiments.get("test-insufficiency")


def request(inst: generator.Instance):
    (req,) = CHECK.requests(inst, PARAMS)
    return req


# --- instances ---------------------------------------------------------------------------------

def test_units_are_pure_and_rotate_through_the_families() -> None:
    a = [CHECK.unit(i, 7, PARAMS)[0] for i in range(len(PARAMS["families"]))]
    assert [i.family for i in a] == list(PARAMS["families"])
    again = CHECK.unit(5, 7, PARAMS)[0]
    assert again.problem.augmented == a[5].problem.augmented and request(again).prompt == request(a[5]).prompt
    assert CHECK.unit(5, 8, PARAMS)[0].problem.augmented != a[5].problem.augmented
    assert a[0].id == "u0-records" and a[0].unit == 0


def test_the_prompt_shows_the_example_and_never_a_hidden_test() -> None:
    for i in range(26):
        inst = CHECK.unit(i, 0, PARAMS)[0]
        text = request(inst).prompt
        ex = inst.problem.example
        assert f"{inst.func}({show(ex.args[0])})" in text and inst.problem.spec.doc[:40] in text
        for case in inst.problem.base[1:]:
            assert show(case.args[0]) not in text


def test_bad_parameters_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="unknown families"):
        CHECK.unit(0, 0, {**PARAMS, "families": ["records", "sorting"]})
    with pytest.raises(ValueError, match="must not be empty"):
        CHECK.unit(0, 0, {**PARAMS, "families": []})


# --- grading -----------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", [
    "", "The answer is 3.", "```python\ndef count_records(xs):\n    return len(", "```python\ndef other(xs):\n    return 0\n```",
])
def test_malformed_replies_are_wrong_and_unparseable(reply: str) -> None:
    inst = CHECK.unit(0, 0, PARAMS)[0]
    g = CHECK.grade(inst, request(inst), reply, 0)
    assert not g.correct and g.unparseable and g.value == {"base": False, "augmented": False}


def test_right_code_passes_both_suites_and_an_edge_bug_passes_base_only() -> None:
    seen_false_pass = False
    for i in range(len(PARAMS["families"])):
        inst = CHECK.unit(i, 0, PARAMS)[0]
        spec = inst.problem.spec
        g = CHECK.grade(inst, request(inst), synthetic._fenced(spec.code()), 0)
        assert g.correct and g.value["base"] and g.value["augmented"], (inst.id, g.detail)
        for bug, _ in spec.mutants:
            b = CHECK.grade(inst, request(inst), synthetic._fenced(spec.mutant(bug)), 0)
            assert not b.correct and not b.unparseable and not b.value["augmented"]
            if b.value["base"]:
                seen_false_pass = True
                assert b.value["failed_categories"] and "augmented" in b.detail
    assert seen_false_pass


def test_a_crash_on_an_edge_input_does_not_hide_the_base_result() -> None:
    inst = CHECK.unit(0, 0, PARAMS)[0]
    code = inst.problem.spec.code().replace("    count = 0\n", "    count = 0\n    if not xs:\n        while True:\n"
                                            "            pass\n", 1)
    g = CHECK.grade(inst, request(inst), synthetic._fenced(code), 0)
    assert g.value["base"] and not g.value["augmented"] and "empty" in g.value["failed_categories"]


# --- the rule ------------------------------------------------------------------------------------

def rows(pattern: list[tuple[bool, bool]]) -> list[SampleRow]:
    """One row per problem with the given (base, augmented) outcome (no model, no sandbox)."""
    out = []
    for u, (base, aug) in enumerate(pattern):
        out.append(SampleRow(unit=u, instance=f"u{u}", arm="solve", correct=aug,
                             parsed={"base": base, "augmented": aug, "failed_categories": [] if aug else ["empty"]},
                             meta={"family": "records"}))
    return out


def verdict(pattern: list[tuple[bool, bool]]) -> str:
    return evaluate(CHECK, CLAIM, rows(pattern), PARAMS).decision.verdict


def test_the_false_pass_rate_counts_only_programs_the_base_suite_accepted() -> None:
    ev = evaluate(CHECK, CLAIM, rows([(True, True), (True, False), (False, False), (False, False)] * 5), PARAMS)
    m = {x.name: x for x in ev.metrics}
    assert m["false_pass_rate"].value == pytest.approx(0.5) and m["false_pass_rate"].n == 10
    assert m["overstatement"].value == pytest.approx(0.25) and m["overstatement"].n == 20
    assert m["base_pass_rate"].value == pytest.approx(0.5)


def test_being_wrong_often_is_not_overstatement() -> None:
    """Wrong programs that typical tests already catch: the thin suite overstates nothing."""
    assert verdict([(True, True), (False, False)] * 60) == "does not hold"


def test_a_model_fitted_to_typical_inputs_gets_holds_and_a_floor_model_never_does() -> None:
    assert verdict([(True, True), (True, False), (True, True)] * 20) == "holds"
    assert verdict([(False, False)] * 140 + [(True, False)] * 10) == "premise not met"


def test_the_rule_is_the_relative_overstatement_the_claim_publishes() -> None:
    rule = CLAIM.experiment.verdict
    assert [(c.metric, c.op, c.threshold) for c in rule.all] == [("false_pass_rate", ">", 0.1)]
    assert [(c.metric, c.op, c.threshold) for c in rule.premises] == [("base_pass_rate", ">", 0.1)]


# --- the report notebook ----------------------------------------------------------------------------

def test_notebook_parameters_are_the_yaml_defaults_and_the_two_files_agree() -> None:
    check_report_notebook("test-insufficiency")


def test_synthetic_policies_are_deterministic() -> None:
    inst = CHECK.unit(2, 0, PARAMS)[0]
    for fn in synthetic.POLICIES.values():
        assert fn(inst, request(inst), 0, [], random.Random("s")) == fn(inst, request(inst), 0, [], random.Random("s"))
