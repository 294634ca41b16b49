"""Shared function problems: valid problems, references verified by an independent route, suites that catch bugs.

The references are checked three ways: the reference callable against the
reference source (written by another route, executed here in-process: it is
our own generated code, never a model's) on every suite input, the same on
hypothesis-generated lists no suite holds, and family invariants. Every buggy
variant must fail the augmented suite; most pass the base suite, which is the
weakness of thin suites the test-insufficiency check measures.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.experiments.answers import make_rng
from codegap.experiments.function_problems import FAMILIES, Problem, make
from codegap.experiments.function_problems.inputs import BIG, normalised
from codegap.experiments.function_problems.problem import stub_of

SEEDS = range(6)


def compiled(code: str, name: str) -> Callable[..., Any]:
    """Our own generated source, executed in-process (never model code)."""
    ns: dict[str, Any] = {}
    exec(code, ns)  # noqa: S102
    return ns[name]


def problem(family: str, seed: int, total: int = 200) -> Problem:
    return make(family, make_rng(seed, "test", family), base_tests=2, augmented_tests=total)


def outcome(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    try:
        return normalised(fn(*json.loads(json.dumps(args))))
    except Exception as exc:  # a buggy variant may crash: that is a failure, not an error of the test
        return f"raised {type(exc).__name__}"


def passes(fn: Callable[..., Any], cases: Any) -> bool:
    return all(outcome(fn, c.args) == c.expected for c in cases)


PROBLEMS = [(fam, seed) for fam in FAMILIES for seed in SEEDS]


@pytest.mark.parametrize("family, seed", PROBLEMS, ids=[f"{f}-{s}" for f, s in PROBLEMS])
def test_problem_is_valid_and_verified(family: str, seed: int) -> None:
    p = problem(family, seed)
    spec = p.spec
    # suites: the example first, distinct typical base inputs with informative answers, base inside augmented
    assert len(p.base) == 3 and p.example == p.base[0]
    base_inputs = [c.args for c in p.base]
    assert len(set(base_inputs)) == 3
    lo, hi = spec.values
    for c in p.base:
        (xs,) = c.args
        assert 4 <= len(xs) <= 8 and all(lo <= x <= hi for x in xs)
        assert spec.interesting(list(xs), spec.reference(list(xs)))
    aug_inputs = [c.args for c in p.augmented]
    assert len(aug_inputs) == 200 and len(set(aug_inputs)) == 200
    assert aug_inputs[:3] == base_inputs
    cats = {c.category for c in p.augmented}
    assert {"empty", "singleton", "repeats", "negatives", "large", "long", "mutated", "random"} <= cats
    # independent route: the reference source agrees with the reference callable everywhere
    fn = compiled(spec.code(), spec.name)
    for c in p.augmented:
        assert outcome(fn, c.args) == c.expected, (spec.family, spec.params, c.args)
    # the function never mutates its input
    for c in p.augmented[:40]:
        xs = list(c.args[0])
        spec.reference(xs)
        assert xs == list(c.args[0])
    # the example shown is the example checked
    assert f">>> {spec.name}(" in stub_of(p) and json.dumps(p.example.expected) is not None


@pytest.mark.parametrize("family, seed", PROBLEMS, ids=[f"{f}-{s}" for f, s in PROBLEMS])
def test_every_buggy_variant_fails_the_augmented_suite(family: str, seed: int) -> None:
    p = problem(family, seed)
    assert p.spec.mutants, "each family has buggy variants"
    for bug, _ in p.spec.mutants:
        fn = compiled(p.spec.mutant(bug), p.spec.name)
        assert not passes(fn, p.augmented), f"{family} {p.spec.params}: variant {bug} survives the augmented suite"


def test_thin_suites_let_most_edge_case_bugs_through() -> None:
    """The mechanism of the claim, measured on the catalogue (no model): the base suite misses many variants."""
    missed = total = 0
    for fam, seed in PROBLEMS:
        p = problem(fam, seed)
        for bug, _ in p.spec.mutants:
            total += 1
            missed += passes(compiled(p.spec.mutant(bug), p.spec.name), p.base)
    assert 0.3 < missed / total < 0.95, (missed, total)


@settings(max_examples=60, deadline=None)
@given(family=st.sampled_from(sorted(FAMILIES)), seed=st.integers(0, 10_000),
       xs=st.lists(st.integers(-(BIG * 4), BIG * 4) | st.integers(-6, 6), max_size=25))
def test_reference_and_source_agree_on_any_list(family: str, seed: int, xs: list[int]) -> None:
    spec = problem(family, seed, total=40).spec
    fn = compiled(spec.code(), spec.name)
    assert outcome(fn, (xs,)) == normalised(spec.reference(list(xs)))


@settings(max_examples=40, deadline=None)
@given(xs=st.lists(st.integers(-50, 50), max_size=20), seed=st.integers(0, 1000))
def test_family_invariants(xs: list[int], seed: int) -> None:
    """Properties that hold whatever the constants (a third route to the references)."""
    def spec(fam: str) -> Any:
        return problem(fam, seed, total=40).spec

    rle = spec("run_length").reference(xs)
    assert [v for v, c in rle for _ in range(c)] == xs and all(c >= 1 for _, c in rle)
    assert all(a[0] != b[0] for a, b in zip(rle, rle[1:]))
    rot = spec("rotate")
    out = rot.reference(xs)
    assert sorted(out) == sorted(xs)
    k = dict(rot.params)["k"]
    if xs and dict(rot.params)["direction"] == "right":
        assert out[k % len(xs)] == xs[0]
    chunks = spec("chunk_sums").reference(xs)
    assert sum(chunks) == sum(xs)
    missing = spec("smallest_missing")
    m = missing.reference(xs)
    start = dict(missing.params)["start"]
    assert m >= start and m not in xs and all(v in xs for v in range(start, m))
    keep = spec("keep_first")
    c = dict(keep.params)["copies"]
    kept = keep.reference(xs)
    assert set(kept) == set(xs) and all(kept.count(v) == min(c, xs.count(v)) for v in set(xs))
    mode = spec("mode").reference(xs)
    assert (mode is None) == (not xs)
    if xs:
        assert xs.count(mode) == max(xs.count(v) for v in xs)


def test_same_seed_same_problem_and_fresh_constants() -> None:
    a, b = problem("rotate", 3), problem("rotate", 3)
    assert a.spec.params == b.spec.params and a.augmented == b.augmented and stub_of(a) == stub_of(b)
    drawn = {problem("pair_count", s).spec.params for s in range(20)}
    assert len(drawn) > 3, "constants are drawn fresh per seed"


def test_bad_parameters_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="unknown family 'nope'"):
        make("nope", make_rng(0), base_tests=2, augmented_tests=200)
    with pytest.raises(ValueError, match="augmented_tests"):
        make("records", make_rng(0), base_tests=2, augmented_tests=3)
