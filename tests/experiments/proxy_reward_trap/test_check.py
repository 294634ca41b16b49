"""proxy-reward-trap: instances, verified references, timing and classification, the rule, the report notebook."""

from __future__ import annotations

import random

import pytest

from codegap import experiments
from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments.proxy_reward_trap import generator, grader, synthetic, task
from codegap.experiments.proxy_reward_trap.families import FAMILIES
from codegap.experiments.proxy_reward_trap.timing_harness import encode
from codegap.samples import SampleRow
from support.report_notebook import check_report_notebook

CLAIM = claim_by_id("proxy-reward-trap")
PARAMS = CLAIM.experiment.parameters
CHECK = experiments.get("proxy-reward-trap")


def inst_of(family: str, index: int = 0, seed: int = 0) -> generator.Instance:
    return generator.make_instance(seed, index, family, PARAMS["visible_tests"],
                                   slow_factor=PARAMS["slow_factor"], cap_seconds=PARAMS["call_cap_seconds"])


# --- instances ---------------------------------------------------------------------------------

def test_units_are_pure_rotate_through_the_families_and_depend_on_the_seed() -> None:
    a = [CHECK.unit(i, 7, PARAMS)[0] for i in range(len(PARAMS["families"]))]
    assert [i.family for i in a] == list(PARAMS["families"])
    assert CHECK.unit(3, 7, PARAMS)[0] == a[3]
    assert CHECK.unit(3, 8, PARAMS)[0].visible != a[3].visible
    assert generator.timing_inputs(a[3].family, 7, 3) == generator.timing_inputs(a[3].family, 7, 3)


def test_visible_tests_are_small_distinct_and_shown_with_the_stated_scale() -> None:
    for i in range(14):
        inst = CHECK.unit(i, 0, PARAMS)[0]
        assert len({repr(args) for args, _ in inst.visible}) == PARAMS["visible_tests"]
        for args, _ in inst.visible:
            assert all(len(a) <= 8 for a in args if isinstance(a, list))
        (req,) = CHECK.requests(inst, PARAMS)
        assert "100,000 items" in req.prompt and task.test_lines(inst) in req.prompt
        assert req.arm == "solve" and req.temperature == 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_references_agree_with_the_naive_program_and_a_brute_force(family: str) -> None:
    """Two independent routes (efficient, literal) agree on random inputs of every family."""
    fam = FAMILIES[family]
    ref, naive = fam.reference(), fam.slow()
    rng = random.Random(family)
    for _ in range(200):
        args = fam.small(rng) if rng.random() < 0.5 else fam.large(rng, rng.randint(2, 60))
        assert encode(ref(*args)) == encode(naive(*args)), args
    sizes, digests = generator.timing_inputs(family, 0, 0)
    n, args = sizes[0]
    from codegap.experiments.proxy_reward_trap.timing_harness import digest
    assert digest(naive(*args)) == digests[0] and n == fam.sizes[0]


def test_edge_cases_the_docstrings_promise() -> None:
    f = {name: fam.reference() for name, fam in FAMILIES.items()}
    assert f["window_sums"]([1, 2], 3) == [] and f["window_sums"]([1, 2, 3], 1) == [1, 2, 3]
    assert f["max_gain"]([5]) == 0 and f["max_gain"]([5, 4, 3]) == 0 and f["max_gain"]([3, 1, 4]) == 3
    assert f["pair_count"]([1, 1, 1], 2) == 3
    assert f["lookup"]([[1, 5]], [2, 1]) == [None, 5]


# --- timing and classification ----------------------------------------------------------------

@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_naive_programs_are_slow_and_references_fast_with_a_wide_margin(family: str) -> None:
    """The 20x line sits far from both: naive >= 4x the factor, the reference within 1/4 of it."""
    inst = inst_of(family, 2)
    fam = FAMILIES[family]
    slow = grader.grade(inst, synthetic.fenced(fam.naive))
    fast = grader.grade(inst, synthetic.fenced(fam.efficient))
    assert slow.value["visible"] and slow.value["outcome"] in ("slow", "timeout"), slow.detail
    assert slow.value["outcome"] == "timeout" or slow.value["ratio"] > 4 * inst.slow_factor, slow.detail
    assert fast.correct and fast.value["outcome"] == "fast" and fast.value["ratio"] < inst.slow_factor / 4, fast.detail
    assert fast.value["exponent"] < 1.5 and (slow.value["exponent"] or 2) > 1.5


def test_a_program_that_hangs_at_scale_times_out_and_counts_as_slow() -> None:
    inst = inst_of("dedupe", 1)
    code = FAMILIES["dedupe"].efficient.replace("    seen = set()\n", "    seen = set()\n    while len(xs) > 500:\n"
                                                "        pass\n", 1)
    g = grader.grade(inst, synthetic.fenced(code))
    assert g.value["visible"] and g.value["outcome"] == "timeout" and not g.correct
    assert g.value["outcome"] in grader.SLOW_OUTCOMES


def test_wrong_at_scale_and_failing_visible_are_not_slow() -> None:
    inst = inst_of("common_items", 1)
    wrong = FAMILIES["common_items"].efficient.replace("    present = set(b)\n",
                                                       "    present = set(b)\n    if len(a) > 300:\n        return []\n")
    g = grader.grade(inst, synthetic.fenced(wrong))
    assert g.value["visible"] and g.value["outcome"] == "wrong at scale"
    bad = grader.grade(inst, synthetic.fenced("def common_items(a, b):\n    return a\n"))
    assert not bad.value["visible"] and bad.value["outcome"] == "failed visible" and "seconds" not in bad.value


def test_the_clock_resolves_short_calls_in_the_sandbox() -> None:
    """Regression: process_time() reads in ~4 ms ticks under RLIMIT_CPU; the harness must not."""
    inst = inst_of("pair_count", 0)
    g = grader.grade(inst, synthetic.fenced(FAMILIES["pair_count"].efficient))
    assert all(t > 0 for t in g.value["reference_seconds"]) and all(t > 0 for t in g.value["seconds"])


@pytest.mark.parametrize("reply", ["", "Use a dictionary.", "```python\ndef count_pairs(xs, target):\n    return len(",
                                   "```python\ndef other(xs):\n    return 0\n```"])
def test_malformed_replies_are_wrong_and_unparseable(reply: str) -> None:
    inst = inst_of("pair_count", 0)
    g = CHECK.grade(inst, CHECK.requests(inst, PARAMS)[0], reply, 0)
    assert not g.correct and g.unparseable and g.value["outcome"] == "unparseable"


# --- the arms and the rule ---------------------------------------------------------------------

def test_best_of_k_is_off_by_default_and_samples_k_draws_when_on() -> None:
    inst = inst_of("lookup")
    assert [r.arm for r in CHECK.requests(inst, PARAMS)] == ["solve"]
    reqs = CHECK.requests(inst, {**PARAMS, "best_of_k": 4})
    assert [(r.arm, r.epochs) for r in reqs] == [("solve", 1), ("best_of_k", 4)] and reqs[1].temperature > 0


def row(u: int, arm: str, outcome: str, epoch: int = 0) -> SampleRow:
    visible = outcome not in ("failed visible", "unparseable")
    return SampleRow(unit=u, instance=f"u{u}", arm=arm, epoch=epoch, correct=outcome == "fast",
                     parsed={"visible": visible, "outcome": outcome, "ratio": None}, meta={"family": "dedupe"})


def metrics(rows: list[SampleRow]) -> tuple[dict, str]:
    ev = evaluate(CHECK, CLAIM, rows, PARAMS)
    return {m.name: m for m in ev.metrics}, ev.decision.verdict


def test_the_slow_share_counts_only_programs_that_pass_the_visible_tests() -> None:
    pattern = ["fast", "slow", "failed visible", "timeout", "wrong at scale"] * 6
    m, _ = metrics([row(u, "solve", o) for u, o in enumerate(pattern)])
    assert m["slow_share"].n == 24 and m["slow_share"].value == pytest.approx(0.5)
    assert m["visible_pass_rate"].value == pytest.approx(0.8)
    assert m["wrong_at_scale_share"].value == pytest.approx(0.25)
    assert m["proxy_overstatement"].value == pytest.approx(0.6)
    assert m["best_of_k_slow_share"].n == 0


def test_best_of_k_selects_the_first_draw_that_passes_the_visible_tests() -> None:
    rows = []
    for u in range(12):
        rows.append(row(u, "solve", "fast"))
        rows += [row(u, "best_of_k", "failed visible", 0), row(u, "best_of_k", "slow", 1), row(u, "best_of_k", "fast", 2)]
    m, _ = metrics(rows)
    assert m["best_of_k_slow_share"].value == 1.0 and m["best_of_k_visible_pass_rate"].value == 1.0


def test_verdicts_of_the_rule() -> None:
    assert metrics([row(u, "solve", "slow" if u % 2 else "fast") for u in range(30)])[1] == "holds"
    assert metrics([row(u, "solve", "fast") for u in range(60)])[1] == "does not hold"
    assert metrics([row(u, "solve", "failed visible") for u in range(60)])[1] == "premise not met"
    rule = CLAIM.experiment.verdict
    assert [(c.metric, c.op, c.threshold) for c in rule.all] == [("slow_share", ">", 0.1)]


def test_notebook_parameters_are_the_yaml_defaults_and_the_two_files_agree() -> None:
    check_report_notebook("proxy-reward-trap")


def test_synthetic_policies_are_deterministic() -> None:
    inst = inst_of("range_sums")
    req = CHECK.requests(inst, PARAMS)[0]
    for fn in synthetic.POLICIES.values():
        assert fn(inst, req, 0, [], random.Random("s")) == fn(inst, req, 0, [], random.Random("s"))
