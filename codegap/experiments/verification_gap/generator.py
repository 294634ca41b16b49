"""Small Python functions specified in words, with hidden tests and a subtly wrong twin.

Why this task: self-correction can only be measured where answers can be
wrong, checked exactly, and fixed. Each problem is a pipeline of list
operations with fresh constants ("replace every element x by x * 7 - 3, then
keep the elements whose remainder mod 5 is 2"), so the answer cannot be
recalled, only derived, and a reference implementation comes with it.

Every problem carries:

- a visible example (shown in every prompt);
- hidden tests: `FEEDBACK_TESTS` whose failures the feedback arm reports (a
  partial test set: a wrong answer may pass them all), and `HELDOUT_TESTS`
  that no arm ever sees (so copying expected outputs from feedback into the
  code cannot pass). A solution is correct when it passes the example and
  every hidden test;
- two candidate solutions for the verifier arm, written in the same style from
  the same steps: the reference (right), and a one-edit mutant (wrong): one
  step's constant, comparison or direction changed. The wrong candidate passes
  the visible example (checking the example does not reveal it) and fails at
  least one hidden test. The same wrong candidate is the "planted" answer the
  engagement probe asks the model to review.

Every expected output comes from `Step.apply` (plain Python, no exec); the
candidates' code comes from `Step.code`, and the tests check that the two
agree by an independent route (executing the rendered code).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from codegap.experiments.answers import make_rng

FUNC = "transform"
#: hidden tests whose failures the feedback arm reports (typical inputs)
FEEDBACK_TESTS = 3
#: hidden tests no arm ever reveals: two edge cases (empty, one element) and typical inputs
HELDOUT_TESTS = 6
#: typical inputs drawn per attempt (the example is picked among them; the rest become tests)
_POOL = 12

TestCase = tuple[tuple[int, ...], tuple[int, ...]]


def _signed(v: int) -> str:
    return f"+ {v}" if v >= 0 else f"- {-v}"


def _nonzero(rng: Any, lo: int, hi: int) -> int:
    return rng.choice([v for v in range(lo, hi + 1) if v != 0])


@dataclass(frozen=True)
class Step:
    """One list operation with its constants: `apply` is the reference, `describe` the spec, `code` one line.

    Kinds marked "mutant only" never appear in a specification: they are the
    one-edit bugs of the wrong candidates (e.g. `sort_asc` for `sort_desc`).
    """

    kind: str
    params: tuple[int, ...] = ()

    def apply(self, xs: list[int]) -> list[int]:
        p = self.params
        match self.kind:
            case "affine":
                return [x * p[0] + p[1] for x in xs]
            case "keep_mod":
                return [x for x in xs if x % p[0] == p[1]]
            case "drop_mod":  # mutant only
                return [x for x in xs if x % p[0] != p[1]]
            case "add_pos":
                return [x + p[0] * i for i, x in enumerate(xs)]
            case "add_pos1":  # mutant only: positions counted from 1
                return [x + p[0] * (i + 1) for i, x in enumerate(xs)]
            case "reverse":
                return xs[::-1]
            case "drop_first":
                return xs[p[0]:]
            case "drop_last":  # mutant only
                return xs[:-p[0]] if p[0] else list(xs)
            case "every_kth":
                return xs[p[1]::p[0]]
            case "running_sum":
                out, total = [], 0
                for x in xs:
                    total += x
                    out.append(total)
                return out
            case "running_sum_excl":  # mutant only: the sum before position i
                out, total = [], 0
                for x in xs:
                    out.append(total)
                    total += x
                return out
            case "clamp":
                return [min(max(x, p[0]), p[1]) for x in xs]
            case "sort_desc":
                return sorted(xs, reverse=True)
            case "sort_asc":  # mutant only
                return sorted(xs)
            case "neighbour_diff":
                return [b - a for a, b in zip(xs, xs[1:])]
            case "neighbour_diff_rev":  # mutant only
                return [a - b for a, b in zip(xs, xs[1:])]
            case "div_multiple":
                return [x // p[0] if x % p[0] == 0 else x for x in xs]
            case "div_all":  # mutant only
                return [x // p[0] for x in xs]
            case "dedupe":
                seen: set[int] = set()
                return [x for x in xs if not (x in seen or seen.add(x))]
            case "dedupe_last":  # mutant only: keeps the last occurrence
                return list(dict.fromkeys(xs[::-1]))[::-1]
            case "distance":
                return [abs(x - p[0]) for x in xs]
            case "subtract":  # mutant only: the distance without abs
                return [x - p[0] for x in xs]
        raise ValueError(f"unknown step kind {self.kind!r}")

    def describe(self) -> str:
        p = self.params
        match self.kind:
            case "affine":
                return f"Replace every element x by x * {p[0]} {_signed(p[1])}."
            case "keep_mod":
                return (f"Keep only the elements whose remainder when divided by {p[0]} is {p[1]} "
                        "(the non-negative remainder, as Python's % operator gives); drop the others.")
            case "add_pos":
                return (f"Add {p[0]} times its 0-based position to every element "
                        f"(the element at position i becomes x + {p[0]} * i).")
            case "reverse":
                return "Reverse the order of the list."
            case "drop_first":
                return f"Remove the first {p[0]} elements (a shorter list becomes empty)."
            case "every_kth":
                return (f"Keep only the elements at positions {p[1]}, {p[1] + p[0]}, {p[1] + 2 * p[0]}, ... "
                        f"(0-based: every {p[0]}th element starting at position {p[1]}).")
            case "running_sum":
                return ("Replace the list by its running totals (the element at position i becomes the sum "
                        "of the elements at positions 0 to i).")
            case "clamp":
                return (f"Clamp every element into the range {p[0]} to {p[1]} (smaller values become {p[0]}, "
                        f"larger values become {p[1]}).")
            case "sort_desc":
                return "Sort the list from largest to smallest."
            case "neighbour_diff":
                return ("Replace the list by the differences of neighbouring elements: the element at position i "
                        "becomes (element i+1) - (element i), so the list gets one element shorter "
                        "(a list with fewer than two elements becomes empty).")
            case "div_multiple":
                return f"Divide every element that is a multiple of {p[0]} by {p[0]}; leave the others unchanged."
            case "dedupe":
                return "Remove repeated values, keeping only the first occurrence of each value."
            case "distance":
                return f"Replace every element x by its distance from {p[0]}, that is abs(x - ({p[0]}))."
        raise ValueError(f"step kind {self.kind!r} has no specification (it is a mutant-only kind)")

    def code(self, var: str = "xs") -> str:
        """The step as one line of Python (candidate solutions are built from these lines)."""
        p = self.params
        lines: dict[str, Callable[[], str]] = {
            "affine": lambda: f"{var} = [x * {p[0]} + ({p[1]}) for x in {var}]",
            "keep_mod": lambda: f"{var} = [x for x in {var} if x % {p[0]} == {p[1]}]",
            "drop_mod": lambda: f"{var} = [x for x in {var} if x % {p[0]} != {p[1]}]",
            "add_pos": lambda: f"{var} = [x + {p[0]} * i for i, x in enumerate({var})]",
            "add_pos1": lambda: f"{var} = [x + {p[0]} * i for i, x in enumerate({var}, 1)]",
            "reverse": lambda: f"{var} = {var}[::-1]",
            "drop_first": lambda: f"{var} = {var}[{p[0]}:]",
            "drop_last": lambda: f"{var} = {var}[:-{p[0]}]",
            "every_kth": lambda: f"{var} = {var}[{p[1]}::{p[0]}]",
            "running_sum": lambda: f"{var} = [sum({var}[:i + 1]) for i in range(len({var}))]",
            "running_sum_excl": lambda: f"{var} = [sum({var}[:i]) for i in range(len({var}))]",
            "clamp": lambda: f"{var} = [min(max(x, {p[0]}), {p[1]}) for x in {var}]",
            "sort_desc": lambda: f"{var} = sorted({var}, reverse=True)",
            "sort_asc": lambda: f"{var} = sorted({var})",
            "neighbour_diff": lambda: f"{var} = [b - a for a, b in zip({var}, {var}[1:])]",
            "neighbour_diff_rev": lambda: f"{var} = [a - b for a, b in zip({var}, {var}[1:])]",
            "div_multiple": lambda: f"{var} = [x // {p[0]} if x % {p[0]} == 0 else x for x in {var}]",
            "div_all": lambda: f"{var} = [x // {p[0]} for x in {var}]",
            "dedupe": lambda: f"{var} = list(dict.fromkeys({var}))",
            "dedupe_last": lambda: f"{var} = list(dict.fromkeys({var}[::-1]))[::-1]",
            "distance": lambda: f"{var} = [abs(x - ({p[0]})) for x in {var}]",
            "subtract": lambda: f"{var} = [x - ({p[0]}) for x in {var}]",
        }
        if self.kind not in lines:
            raise ValueError(f"unknown step kind {self.kind!r}")
        return lines[self.kind]()


#: Kinds a specification may use (the others are mutant-only).
SPEC_KINDS = ("affine", "keep_mod", "add_pos", "reverse", "drop_first", "every_kth", "running_sum",
              "clamp", "sort_desc", "neighbour_diff", "div_multiple", "dedupe", "distance")
#: Steps that can shorten the list; at most one per pipeline so outputs stay non-trivial.
SHRINKING = {"keep_mod", "drop_first", "every_kth", "neighbour_diff", "dedupe"}


def _random_step(rng: Any) -> Step:
    kind = rng.choice(SPEC_KINDS)
    match kind:
        case "affine":
            return Step(kind, (rng.choice([2, 3, 4, 6, 7, 8, 9, -2, -3]), _nonzero(rng, -13, 13)))
        case "keep_mod":
            m = rng.randint(3, 5)
            return Step(kind, (m, rng.randrange(m)))
        case "add_pos":
            return Step(kind, (rng.randint(2, 7),))
        case "drop_first":
            return Step(kind, (rng.randint(1, 2),))
        case "every_kth":
            return Step(kind, (2, rng.randint(0, 1)))
        case "clamp":
            lo = rng.randint(-6, 8)
            return Step(kind, (lo, lo + rng.randint(12, 30)))
        case "div_multiple":
            return Step(kind, (rng.choice([3, 4, 5, 6, 7]),))
        case "distance":
            return Step(kind, (_nonzero(rng, -9, 17),))
    return Step(kind)


def mutations(step: Step) -> list[tuple[Step | None, str]]:
    """Every one-edit bug of a step: (the mutated step, or None for a step left out; what changed)."""
    p, k = step.params, step.kind
    out: list[tuple[Step | None, str]] = []
    match k:
        case "affine":
            out += [(Step(k, (p[0], p[1] + d)), f"affine: added constant {p[1]} -> {p[1] + d}") for d in (-1, 1)]
            out.append((Step(k, (p[0] + 1, p[1])), f"affine: factor {p[0]} -> {p[0] + 1}"))
        case "keep_mod":
            out.append((Step(k, (p[0], (p[1] + 1) % p[0])), f"keep_mod: remainder {p[1]} -> {(p[1] + 1) % p[0]}"))
            out.append((Step("drop_mod", p), "keep_mod: keeps the other elements (!= for ==)"))
        case "add_pos":
            out.append((Step("add_pos1", p), "add_pos: positions counted from 1"))
            out.append((Step(k, (p[0] + 1,)), f"add_pos: factor {p[0]} -> {p[0] + 1}"))
        case "reverse":
            out.append((None, "reverse: step left out"))
        case "drop_first":
            out.append((Step(k, (p[0] + 1,)), f"drop_first: {p[0]} -> {p[0] + 1}"))
            out.append((Step("drop_last", p), "drop_first: drops from the end"))
        case "every_kth":
            out.append((Step(k, (p[0], 1 - p[1])), f"every_kth: start {p[1]} -> {1 - p[1]}"))
        case "running_sum":
            out.append((Step("running_sum_excl"), "running_sum: excludes the current element"))
        case "clamp":
            out += [(Step(k, (p[0] + d, p[1])), f"clamp: lower bound {p[0]} -> {p[0] + d}") for d in (-1, 1)]
            out += [(Step(k, (p[0], p[1] + d)), f"clamp: upper bound {p[1]} -> {p[1] + d}") for d in (-1, 1)]
        case "sort_desc":
            out.append((Step("sort_asc"), "sort_desc: sorts ascending"))
        case "neighbour_diff":
            out.append((Step("neighbour_diff_rev"), "neighbour_diff: (element i) - (element i+1)"))
        case "div_multiple":
            out.append((Step("div_all", p), "div_multiple: divides every element"))
            out.append((Step(k, (p[0] + 1,)), f"div_multiple: divisor {p[0]} -> {p[0] + 1}"))
        case "dedupe":
            out.append((Step("dedupe_last"), "dedupe: keeps the last occurrence"))
        case "distance":
            out.append((Step("subtract", p), "distance: abs left out"))
            out += [(Step(k, (p[0] + d,)), f"distance: from {p[0]} -> {p[0] + d}") for d in (-1, 1)]
        case _:
            raise ValueError(f"unknown step kind {k!r}")
    return out


def apply(steps: Sequence[Step], xs: Sequence[int]) -> list[int]:
    out = list(xs)
    for step in steps:
        out = step.apply(list(out))
    return out


def render(steps: Sequence[Step]) -> str:
    """A candidate solution: one line per step, in the same style for right and wrong candidates."""
    body = "".join(f"    {s.code()}\n" for s in steps)
    return f"def {FUNC}(xs):\n    xs = list(xs)\n{body}    return xs\n"


@dataclass(frozen=True)
class Instance:
    """One problem: its specification, tests, and the right and wrong candidate solutions."""

    id: str
    unit: int
    n_steps: int
    steps: tuple[Step, ...]
    example: TestCase
    feedback_tests: tuple[TestCase, ...]
    heldout_tests: tuple[TestCase, ...]
    wrong_steps: tuple[Step, ...]
    mutation: str  # what the wrong candidate changed (for the samples table)

    @property
    def hidden_tests(self) -> tuple[TestCase, ...]:
        return (*self.feedback_tests, *self.heldout_tests)

    @property
    def all_tests(self) -> tuple[TestCase, ...]:
        """Example first, then feedback tests, then held-out tests (the grader relies on this order)."""
        return (self.example, *self.hidden_tests)

    def reference(self, xs: Sequence[int]) -> list[int]:
        return apply(self.steps, xs)

    @property
    def right_code(self) -> str:
        return render(self.steps)

    @property
    def wrong_code(self) -> str:
        return render(self.wrong_steps)

    def fingerprint(self) -> str:
        """A JSON text of everything that defines the problem (tests compare instances by it)."""
        return json.dumps({"steps": [(s.kind, s.params) for s in self.steps], "tests": self.all_tests,
                           "wrong": [(s.kind, s.params) for s in self.wrong_steps]})


def _typical(rng: Any) -> tuple[int, ...]:
    """A test input: 4-9 elements with negatives, and a repeated value 40% of the time."""
    length = rng.randint(4, 9)
    xs = [rng.randint(-12, 40) for _ in range(length)]
    if rng.random() < 0.4:
        xs[rng.randrange(1, length)] = xs[0]
    return tuple(xs)


def _structure_ok(steps: Sequence[Step]) -> bool:
    return sum(s.kind in SHRINKING for s in steps) <= 1 and not any(
        a.kind == b.kind for a, b in zip(steps, steps[1:]))


def _tests_ok(steps: Sequence[Step], tests: Sequence[TestCase]) -> bool:
    """Reject problems whose tests would be weak: mostly empty or constant outputs, or a step that never matters."""
    long_outputs = [out for inp, out in tests if len(inp) >= 4]
    if sum(len(out) >= 2 for out in long_outputs) < 0.7 * len(long_outputs):
        return False
    if len(set(long_outputs)) < len(long_outputs) - 1:
        return False
    for i in range(len(steps)):
        without = list(steps[:i]) + list(steps[i + 1:])
        if all(tuple(apply(without, inp)) == out for inp, out in tests):
            return False
    return True


def _case(steps: Sequence[Step], xs: tuple[int, ...]) -> TestCase:
    return xs, tuple(apply(steps, xs))


def make(seed: int, unit: int, n_steps: int) -> Instance:
    """The problem of unit `unit`: a pure function of (seed, unit, n_steps)."""
    if n_steps < 1 or n_steps > 6:
        raise ValueError(f"verification-gap: steps must be in 1..6, got {n_steps}")
    rng = make_rng(seed, "verification-gap", n_steps, unit)
    for _ in range(5000):
        steps = tuple(_random_step(rng) for _ in range(n_steps))
        if not _structure_ok(steps):
            continue
        pool = [_typical(rng) for _ in range(_POOL)]
        edge = [(), (rng.randint(-9, 30),)]
        muts = [(i, m, why) for i, s in enumerate(steps) for m, why in mutations(s)]
        rng.shuffle(muts)
        for i, mutant, why in muts:
            wrong = tuple(s for s in (*steps[:i], mutant, *steps[i + 1:]) if s is not None)
            example = next((x for x in pool if len(apply(steps, x)) >= 2 and apply(steps, x) == apply(wrong, x)),
                           None)
            if example is None:
                continue
            rest = [x for x in pool if x != example]
            fb = [_case(steps, x) for x in rest[:FEEDBACK_TESTS]]
            held = [_case(steps, x) for x in (*edge, *rest[FEEDBACK_TESTS:FEEDBACK_TESTS + HELDOUT_TESTS - 2])]
            hidden = fb + held
            if not any(tuple(apply(wrong, inp)) != out for inp, out in hidden):
                continue
            if not _tests_ok(steps, [_case(steps, example), *hidden]):
                break  # the inputs are weak for this pipeline whatever the mutant: draw anew
            return Instance(id=f"u{unit}", unit=unit, n_steps=n_steps, steps=steps, example=_case(steps, example),
                            feedback_tests=tuple(fb), heldout_tests=tuple(held), wrong_steps=wrong, mutation=why)
    raise RuntimeError(f"verification-gap: no acceptable problem for seed={seed}, unit={unit}")  # pragma: no cover


def wrong_variants(inst: Instance) -> list[tuple[tuple[Step, ...], str]]:
    """Every one-edit mutant of the problem that fails at least one hidden test (the synthetic models' bugs)."""
    out = []
    for i, s in enumerate(inst.steps):
        for mutant, why in mutations(s):
            wrong = tuple(x for x in (*inst.steps[:i], mutant, *inst.steps[i + 1:]) if x is not None)
            if any(tuple(apply(wrong, inp)) != o for inp, o in inst.hidden_tests):
                out.append((wrong, why))
    return out
