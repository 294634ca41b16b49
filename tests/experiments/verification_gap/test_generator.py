"""verification-gap generator: valid problems, verified answers by an independent route, pure per unit."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.experiments import verification_gap as vg
from codegap.experiments.verification_gap import generator as gen
from codegap.experiments.verification_gap import task

PARAMS = {"steps": 2, "rounds": 2}


def run_code(code: str, xs: tuple[int, ...]) -> list[int]:
    """Execute a rendered candidate in-process (our own generated code, never a model's)."""
    ns: dict[str, Any] = {}
    exec(code, ns)  # noqa: S102
    return ns[gen.FUNC](list(xs))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), unit=st.integers(0, 500), steps=st.integers(1, 4))
def test_problems_are_valid_and_verified(seed: int, unit: int, steps: int) -> None:
    inst = gen.make(seed, unit, steps)
    assert inst.n_steps == len(inst.steps) == steps and inst.id == f"u{unit}" and inst.unit == unit
    assert len(inst.feedback_tests) == gen.FEEDBACK_TESTS and len(inst.heldout_tests) == gen.HELDOUT_TESTS
    assert all(s.kind in gen.SPEC_KINDS for s in inst.steps)
    for inp, expected in inst.all_tests:
        assert tuple(inst.reference(inp)) == expected
        # independent route: the rendered reference code, executed, agrees with Step.apply
        assert tuple(run_code(inst.right_code, inp)) == expected
        assert all(type(v) is int for v in expected)
    # the wrong candidate: one line differs, it passes the visible example, and fails a hidden test
    right_lines, wrong_lines = inst.right_code.splitlines(), inst.wrong_code.splitlines()
    differing = [a for a, b in zip(right_lines, wrong_lines) if a != b]
    assert len(differing) == 1 or len(wrong_lines) == len(right_lines) - 1
    ex_in, ex_out = inst.example
    assert tuple(run_code(inst.wrong_code, ex_in)) == ex_out
    assert any(tuple(run_code(inst.wrong_code, inp)) != out for inp, out in inst.hidden_tests)
    assert len(ex_out) >= 2


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), unit=st.integers(0, 500))
def test_prompts_show_the_example_never_a_hidden_test(seed: int, unit: int) -> None:
    inst = gen.make(seed, unit, 2)
    for req in vg.CHECK.requests(inst, PARAMS):
        text = req.prompt if isinstance(req.prompt, str) else " ".join(t for _, t in req.prompt)
        assert task.show(inst.example[0]) in text
        for s in inst.steps:
            assert s.describe() in text
        for inp, _ in inst.hidden_tests:
            if len(inp) >= 2:
                assert task.show(inp) not in text


@given(seed=st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_same_seed_same_problems_and_units_independent_of_batching(seed: int) -> None:
    one_by_one = [vg.CHECK.unit(i, seed, PARAMS)[0].fingerprint() for i in range(6)]
    reverse = [vg.CHECK.unit(i, seed, PARAMS)[0].fingerprint() for i in reversed(range(6))][::-1]
    assert one_by_one == reverse
    assert vg.CHECK.unit(3, seed, PARAMS)[0] == vg.CHECK.unit(3, seed, PARAMS)[0]
    assert vg.CHECK.unit(3, seed, PARAMS)[0].fingerprint() != vg.CHECK.unit(3, seed + 1, PARAMS)[0].fingerprint()
    assert len(set(one_by_one)) == 6


def test_verifier_arm_has_both_correct_and_wrong_candidates() -> None:
    """Issue 9: every problem is judged twice, once on a right and once on a subtly wrong candidate."""
    for unit in range(30):
        inst = vg.CHECK.unit(unit, 7, PARAMS)[0]
        reqs = {r.arm: r for r in vg.CHECK.requests(inst, PARAMS)}
        assert {"verify_right", "verify_wrong"} <= set(reqs)
        right, wrong = reqs["verify_right"].prompt, reqs["verify_wrong"].prompt
        assert inst.right_code in right and inst.wrong_code in wrong and right != wrong
        assert all(tuple(run_code(inst.right_code, i)) == o for i, o in inst.all_tests)
        assert not all(tuple(run_code(inst.wrong_code, i)) == o for i, o in inst.all_tests)
        # the planted review shows the same wrong candidate as the model's own answer
        assert inst.wrong_code in reqs["planted"].prompt and "You wrote this function" in reqs["planted"].prompt


def test_chains_share_their_first_prompt_and_budget() -> None:
    inst = vg.CHECK.unit(0, 0, PARAMS)[0]
    reqs = {r.arm: r for r in vg.CHECK.requests(inst, PARAMS)}
    assert reqs["intrinsic"].prompt == reqs["feedback"].prompt
    assert reqs["intrinsic"].rounds == reqs["feedback"].rounds == 1 + PARAMS["rounds"]
    assert reqs["intrinsic"].max_tokens == reqs["feedback"].max_tokens
    assert all(r.temperature == 0.0 for r in reqs.values())


def test_wrong_variants_all_fail_a_hidden_test() -> None:
    inst = gen.make(3, 3, 2)
    variants = gen.wrong_variants(inst)
    assert variants
    for steps, _ in variants:
        code = gen.render(steps)
        assert any(tuple(run_code(code, i)) != o for i, o in inst.hidden_tests)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="steps must be in"):
        gen.make(0, 0, 0)
    with pytest.raises(ValueError, match="rounds must be"):
        task.requests(gen.make(0, 0, 2), {"steps": 2, "rounds": 0})
    with pytest.raises(ValueError, match="unknown step"):
        gen.Step("nonsense").apply([1])
    with pytest.raises(ValueError, match="mutant-only"):
        gen.Step("sort_asc").describe()
