"""multi-turn-lock-in: generated tasks with verified references, the three arms, grading of every turn, the rule."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap import experiments
from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments.multi_turn_lock_in import generator, grader, synthetic, task
from codegap.experiments.multi_turn_lock_in.generator import KINDS, Spec
from codegap.samples import SampleRow
from support.report_notebook import check_report_notebook

CLAIM = claim_by_id("multi-turn-lock-in")
PARAMS = CLAIM.experiment.parameters
CHECK = experiments.get("multi-turn-lock-in")


def req(inst: generator.Instance, arm: str):
    return next(r for r in CHECK.requests(inst, PARAMS) if r.arm == arm)


def compiled(spec: Spec):
    """The rendered program of a spec, executed in-process (our own generated code, never a model's)."""
    ns: dict[str, Any] = {}
    exec(spec.code(), ns)  # noqa: S102
    return ns[generator.FUNC]


def from_words(sentences: list[str]):
    """An independent reading of the task: the requirements parsed back out of its words (shards or FULL)."""
    text = " ".join(sentences)
    keep = lambda x: True  # noqa: E731
    if m := re.search(r"divisible by (\d+)", text):
        keep = lambda x, k=int(m.group(1)): x % k == 0  # noqa: E731
    elif m := re.search(r"greater than (-?\d+)", text):
        keep = lambda x, k=int(m.group(1)): x > k  # noqa: E731
    elif m := re.search(r"less than (-?\d+)", text):
        keep = lambda x, k=int(m.group(1)): x < k  # noqa: E731
    elif "that are odd" in text:
        keep = lambda x: x % 2 != 0  # noqa: E731
    change = lambda x: x  # noqa: E731
    if m := re.search(r"multiplied by (\d+)|multiplies each of them by (\d+)", text):
        change = lambda x, k=int(m.group(1) or m.group(2)): k * x  # noqa: E731
    elif m := re.search(r"increased by (\d+)|adds (\d+) to each", text):
        change = lambda x, k=int(m.group(1) or m.group(2)): x + k  # noqa: E731
    elif m := re.search(r"decreased by (\d+)|subtracts (\d+) from each", text):
        change = lambda x, k=int(m.group(1) or m.group(2)): x - k  # noqa: E731
    elif "squared" in text or "squares each" in text:
        change = lambda x: x ** 2  # noqa: E731
    limit = re.search(r"at most (\d+) numbers|at most the first (\d+) of them", text)
    distinct = "same value twice" in text or "without repeating any value" in text
    largest_first = "from largest to smallest" in text

    def run(xs):
        vals = []
        for x in xs:
            if keep(x) and not (distinct and change(x) in vals):
                vals.append(change(x))
        vals = sorted(vals, reverse=largest_first)
        return vals[:int(limit.group(1) or limit.group(2))] if limit else vals

    return run


# --- instances -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 7, 1000])
def test_tasks_are_valid_and_their_references_verified_two_ways(seed: int) -> None:
    for index in range(40):
        inst = CHECK.unit(index, seed, PARAMS)[0]
        assert inst.shards[0] == "intent" and sorted(inst.shards[1:]) == sorted(KINDS)
        assert inst.shards[inst.order_turn] == "order" and len(inst.cases) >= PARAMS["tests"]
        program = compiled(inst.spec)
        words = from_words([inst.spec.shard(k) for k in inst.shards])
        for case in inst.cases:
            xs = list(case.args[0])
            assert program(xs) == case.expected == words(xs), (inst.id, xs)
        # every variant that misses one requirement, and the locked one, fails some test
        for rival in generator.rivals(inst.spec):
            assert any(compiled(rival)(list(c.args[0])) != c.expected for c in inst.cases), (inst.id, rival)
        informative = sum(len(set(c.expected)) >= 2 for c in inst.cases)
        assert 3 * informative >= 2 * len(inst.cases)


@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, 500), seed=st.integers(0, 10_000), xs=st.lists(st.integers(-30, 30), max_size=12))
def test_reference_agrees_with_the_rendered_program_on_any_input(index: int, seed: int, xs: list[int]) -> None:
    spec = CHECK.unit(index, seed, PARAMS)[0].spec
    for s in [spec, *generator.rivals(spec)]:
        assert s.run(xs) == compiled(s)(list(xs))
    assert spec.run(xs) == from_words([spec.full_text()])(xs) == from_words(
        [spec.shard(k) for k in ("intent", *KINDS)])(xs)


def test_units_are_pure_and_independent_of_batching() -> None:
    alone = CHECK.unit(17, 3, PARAMS)[0]
    for i in range(17):
        CHECK.unit(i, 3, PARAMS)
    again = CHECK.unit(17, 3, PARAMS)[0]
    assert alone == again
    assert [r.prompt for r in CHECK.requests(alone, PARAMS)] == [r.prompt for r in CHECK.requests(again, PARAMS)]
    assert CHECK.unit(17, 4, PARAMS)[0].cases != alone.cases
    # the first turn differs between tasks (a scripted server, and a reader, can tell them apart)
    firsts = {req(CHECK.unit(i, 0, PARAMS)[0], "sharded").prompt for i in range(200)}
    assert len(firsts) == 200


def test_every_extra_and_every_turn_of_the_direction_occur() -> None:
    insts = [CHECK.unit(i, 0, PARAMS)[0] for i in range(120)]
    assert {i.extra for i in insts} == set(PARAMS["extras"])
    assert {i.order_turn for i in insts} == {1, 2, 3, 4}
    assert {i.keep for i in insts} == set(PARAMS["keeps"]) and {i.transform for i in insts} == set(PARAMS["transforms"])


def test_bad_parameters_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="parameter keeps"):
        CHECK.unit(0, 0, {**PARAMS, "keeps": ["prime"]})
    with pytest.raises(ValueError, match="parameter tests"):
        CHECK.unit(0, 0, {**PARAMS, "tests": 3})


# --- the three arms ---------------------------------------------------------------------------------

def test_arms_carry_the_same_requirements_and_sharded_reveals_one_per_turn() -> None:
    inst = CHECK.unit(5, 0, PARAMS)[0]
    full, concat, sharded = (req(inst, a) for a in task.ARMS)
    shards = [inst.spec.shard(k) for k in inst.shards]
    assert all(f"- {s}" in concat.prompt for s in shards)
    assert concat.prompt.index(shards[1]) < concat.prompt.index(shards[2])  # SHARDED's order
    assert sharded.prompt.startswith(shards[0]) and sharded.rounds == len(shards) == 5
    assert not any(w in sharded.prompt for w in ("largest", "smallest", "descending", "ascending"))
    assert "largest to smallest" in full.prompt and inst.spec.keep_words() in full.prompt
    follow = [CHECK.follow_up(inst, sharded, "", None, r) for r in range(sharded.rounds)]
    assert [f.split(" Reply with")[0] if f else None for f in follow] == [*shards[1:], None]
    assert CHECK.follow_up(inst, full, "", None, 0) is None
    assert task.MAX_TOKENS >= 256 and full.max_tokens == concat.max_tokens == sharded.max_tokens


# --- grading ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", ["", "Sure, what should it compute?", "```python\ndef other(xs):\n    return xs\n```",
                                   "```python\ndef process(xs):\n    return sorted(xs\n```"])
def test_malformed_replies_are_wrong_and_unparseable(reply: str) -> None:
    inst = CHECK.unit(0, 0, PARAMS)[0]
    for arm in task.ARMS:
        g = CHECK.grade(inst, req(inst, arm), reply, 0)
        assert not g.correct and g.unparseable and g.value["order"] == "none"


def test_a_crashing_function_is_wrong_but_readable() -> None:
    inst = CHECK.unit(0, 0, PARAMS)[0]
    g = CHECK.grade(inst, req(inst, "full"), "```python\ndef process(xs):\n    return xs[99]\n```", 0)
    assert not g.correct and not g.unparseable and "IndexError" in g.detail


def test_every_turn_is_graded_against_the_task_and_against_what_was_said_so_far() -> None:
    inst = CHECK.unit(2, 0, PARAMS)[0]
    sharded = req(inst, "sharded")
    rng = random.Random(0)
    for rnd in range(sharded.rounds):
        perfect = CHECK.grade(inst, sharded, synthetic.perfect(inst, sharded, rnd, [], rng), rnd)
        assert perfect.value["so_far"] and perfect.correct == (rnd == sharded.rounds - 1)
    locked = CHECK.grade(inst, sharded, f"```python\n{inst.spec.variant(direction='ascending').code()}```", 4)
    assert not locked.correct and not locked.value["so_far"] and locked.value["order"] == "ascending"
    right = CHECK.grade(inst, req(inst, "full"), f"```python\n{inst.spec.code()}```", 0)
    assert right.correct and right.value["order"] == "descending"


def test_direction_reads_only_lists_with_two_distinct_values() -> None:
    assert grader.direction([[1, 2, 2], [], [5], [0, 3]]) == "ascending"
    assert grader.direction([[3, 1], [4, 4], [9, 2, 2]]) == "descending"
    assert grader.direction([[1, 2], [3, 1]]) == "unsorted"
    assert grader.direction([[1, 3, 2]]) == "unsorted"
    assert grader.direction([[], [7, 7], None, "x"]) == "unknown"


# --- the rule on graded rows (no model, no sandbox) ----------------------------------------------------

def rows(pattern: list[tuple[int, int, int]], *, first: str = "ascending", last: str = "ascending",
         truncated: bool = False) -> list[SampleRow]:
    """(full, concat, sharded-final) outcomes per task; SHARDED has five turns."""
    out = []
    for u, (f, c, s) in enumerate(pattern):
        meta = {"keep": "odd", "transform": "plus", "extra": "limit", "order_turn": 2, "n_shards": 5}
        for arm, ok in (("full", f), ("concat", c)):
            out.append(SampleRow(unit=u, instance=f"u{u}", arm=arm, correct=bool(ok), truncated=truncated,
                                 parsed={"order": "descending", "so_far": bool(ok)}, meta=meta))
        for rnd in range(5):
            order = first if rnd == 0 else (last if not s else "descending")
            out.append(SampleRow(unit=u, instance=f"u{u}", arm="sharded", round=rnd, correct=bool(s) and rnd == 4,
                                 parsed={"order": order, "so_far": True}, meta=meta))
    return out


def verdict(pattern: list[tuple[int, int, int]], **kw: Any) -> str:
    return evaluate(CHECK, CLAIM, rows(pattern, **kw), PARAMS).decision.verdict


def test_losing_the_task_when_told_piecemeal_holds() -> None:
    assert verdict([(1, 1, 0), (1, 1, 1), (1, 1, 0), (0, 1, 0)] * 10) == "holds"


def test_a_model_confused_by_the_list_wording_does_not_hold() -> None:
    """FULL right, CONCAT and SHARDED equally wrong: the drop is the rewording, not the turns."""
    assert verdict([(1, 0, 0), (1, 1, 1), (1, 0, 0)] * 40) == "does not hold"


def test_premises_gate_the_verdict() -> None:
    assert verdict([(0, 1, 0)] * 40) == "premise not met"  # cannot solve the full task
    assert verdict([(1, 1, 0)] * 40, truncated=True) == "premise not met"  # replies cut off


def test_lock_in_share_counts_failed_sharded_tasks_only() -> None:
    pattern = [(1, 1, 0), (1, 1, 1), (1, 1, 0), (1, 1, 1)] * 10
    ev = evaluate(CHECK, CLAIM, rows(pattern), PARAMS)
    m = {x.name: x for x in ev.metrics}
    assert m["lock_in_share"].n == 20 and m["lock_in_share"].value == 1.0
    assert m["concat_minus_sharded"].n == 40
    ev = evaluate(CHECK, CLAIM, rows(pattern, first="descending", last="descending"), PARAMS)
    assert {x.name: x for x in ev.metrics}["lock_in_share"].value == 0.0
    assert ev.details["sharded_failures"] == 20


def test_unfinished_conversations_are_left_out() -> None:
    r = rows([(1, 1, 0)] * 12)
    r = [x for x in r if not (x.unit == 3 and x.arm == "sharded" and x.round == 4)]
    ev = evaluate(CHECK, CLAIM, r, PARAMS)
    assert {m.name: m.n for m in ev.metrics}["full_accuracy"] == 11


# --- the report notebook ----------------------------------------------------------------------------

def test_notebook_parameters_are_the_yaml_defaults_and_the_two_files_agree() -> None:
    check_report_notebook("multi-turn-lock-in")
