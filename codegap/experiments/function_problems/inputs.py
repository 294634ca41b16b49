"""Inputs: the few typical ones a benchmark author writes, and the augmented suite that hunts for bugs.

Base suite (what a hand-written benchmark has): the docstring example plus a
few hidden tests, all *typical* inputs: short non-empty lists of small
numbers, each with an informative answer (the family's `interesting`), as
HumanEval's authors wrote them. Nothing here looks at the buggy variants: the
base suite is not made weak on purpose, it is made the way such suites are.

Augmented suite (what EvalPlus adds, Liu et al. 2023): the base inputs, then
fixed edge seeds (empty, one element, two elements, repeats, sorted runs,
negative numbers, values beyond what a float holds exactly, long lists, and
the family's problem-aware special inputs), then type-aware mutations of the
base inputs (negate, nudge, replace, duplicate, delete, insert, swap, reverse,
extend with a large value), then random lists from mixed value ranges, until
the suite holds the requested number of distinct inputs. Every expected output
comes from the family's reference.

Why a seeded generator rather than hypothesis for the suite itself:
hypothesis is built to run tests, not to produce a fixed data set; its
generation changes between versions, and the same seed must give the same
instances on every machine so that a stored run can be re-scored. The tests
use hypothesis where it fits: to check the references on inputs no suite holds.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Iterable

from codegap.experiments.function_problems.families import Spec

#: the first integer a float cannot hold exactly (float-based arithmetic goes wrong here)
BIG = 2 ** 53 + 1
HUGE = 10 ** 18 + 7
#: length of a typical (hand-written) input
TYPICAL_LEN = (4, 8)

_FIXED: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("empty", ()),
    *(("singleton", (v,)) for v in (0, 1, -1, 7, -7, BIG, -BIG)),
    *(("pair", p) for p in ((1, 2), (2, 1), (3, 3), (-2, 5), (5, -2), (-4, -4), (0, 0), (0, -3))),
    *(("repeats", xs) for xs in ((2, 2, 2), (-3, -3, -3, -3), (0, 0, 0, 0, 0), (1, 2, 1, 2, 1), (4, 4, 1, 1),
                                 (1, 1, 4, 4), (-1, 2, -1, 2), (2, -1, 2, -1), (5, 3, 5, 3, 3, 5), (7, 1, 7))),
    *(("sorted", xs) for xs in (tuple(range(1, 8)), tuple(range(7, 0, -1)), tuple(range(-6, 1)),
                                tuple(range(0, -7, -1)), (1, 1, 2, 2, 3, 3), (3, 3, 2, 2, 1, 1))),
    *(("negatives", xs) for xs in ((-5, -2, -9, -1), (-1, -1, -3, -2, -2), (-7, -7), (-3, 0, -3),
                                   (-2, -8, -4, -6), (-9, -1, -5))),
    *(("large", xs) for xs in ((BIG, BIG + 1, BIG - 2), (-BIG, 1), (HUGE, -HUGE, HUGE), (10 ** 12, 3, 10 ** 12),
                               (HUGE, HUGE + 1), (BIG, BIG), (-HUGE, -HUGE - 1, 5))),
    *(("short", xs) for xs in ((1, 2, 3), (3, 1, 2), (2, 3, 1), (1, 2, 3, 4), (4, 1, 3, 2), (5, 0, 5),
                               (1, 2, 3, 4, 5), (2, 4, 6, 8, 10, 12, 14, 16))),
)

_RANDOM_RANGES = ((0, 3), (-3, 3), (-10, 10), (0, 20), (-100, 100), (-10 ** 6, 10 ** 6))
_RANDOM_LENGTHS = (0, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 10, 12)


@dataclass(frozen=True)
class Case:
    """One test: positional arguments, the expected return value (JSON-normalised) and its input category."""

    args: tuple[Any, ...]
    expected: Any
    category: str


def normalised(value: Any) -> Any:
    """`value` as it comes back from JSON (tuples become lists); raises TypeError for anything else."""
    return json.loads(json.dumps(value, allow_nan=False))


def typical(spec: Spec, rng: random.Random) -> list[int]:
    lo, hi = spec.values
    return [rng.randint(lo, hi) for _ in range(rng.randint(*TYPICAL_LEN))]


def base_inputs(spec: Spec, rng: random.Random, count: int) -> list[list[int]]:
    """`count` distinct typical inputs with informative answers (the first becomes the example)."""
    out: list[list[int]] = []
    for _ in range(2000):
        xs = typical(spec, rng)
        if xs not in out and spec.interesting(list(xs), spec.reference(list(xs))):
            out.append(xs)
            if len(out) == count:
                return out
    raise RuntimeError(f"function problems: no {count} informative typical inputs for {spec.family} {spec.params}")


def edge_lists(spec: Spec, rng: random.Random) -> list[tuple[str, list[int]]]:
    """The fixed edge seeds, the family's special inputs and a few long lists (category, list)."""
    out = [(cat, list(xs)) for cat, xs in _FIXED]
    out += [("special", list(xs)) for xs in spec.special]
    for lo, hi in ((-50, 50), (-50, 50), (0, 3), (0, 3), (-10 ** 9, 10 ** 9)):
        out.append(("long", [rng.randint(lo, hi) for _ in range(rng.randint(30, 60))]))
    return out


def mutate(xs: list[int], rng: random.Random) -> list[int]:
    """One type-aware mutation of a list of ints (EvalPlus-style), never in place."""
    ys = list(xs)
    op = rng.choice(("negate", "nudge", "replace", "duplicate", "delete", "insert", "swap", "reverse",
                     "extend", "shrink"))
    i = rng.randrange(len(ys)) if ys else 0
    if not ys or op == "insert":
        ys.insert(i, rng.randint(-20, 20))
    elif op == "negate":
        ys[i] = -ys[i]
    elif op == "nudge":
        ys[i] += rng.choice((-1, 1))
    elif op == "replace":
        ys[i] = rng.choice((0, -1, rng.randint(-100, 100), ys[rng.randrange(len(ys))]))
    elif op == "duplicate":
        ys.insert(rng.randrange(len(ys) + 1), ys[i])
    elif op == "delete":
        del ys[i]
    elif op == "swap":
        j = rng.randrange(len(ys))
        ys[i], ys[j] = ys[j], ys[i]
    elif op == "reverse":
        ys.reverse()
    elif op == "extend":
        ys.append(rng.choice((BIG, -BIG, 10 ** 9, -(10 ** 9))))
    else:  # shrink: keep a prefix
        ys = ys[:i]
    return ys


def random_list(rng: random.Random) -> list[int]:
    lo, hi = rng.choice(_RANDOM_RANGES)
    return [rng.randint(lo, hi) for _ in range(rng.choice(_RANDOM_LENGTHS))]


def augmented_lists(spec: Spec, rng: random.Random, base: list[list[int]], total: int) -> list[tuple[str, list[int]]]:
    """(category, list) for the augmented suite: base first, then edges, mutations, random; distinct."""
    seen: set[tuple[int, ...]] = set()
    out: list[tuple[str, list[int]]] = []

    def add(cat: str, xs: list[int]) -> None:
        key = tuple(xs)
        if key not in seen and len(out) < total:
            seen.add(key)
            out.append((cat, list(xs)))

    for xs in base:
        add("base", xs)
    for cat, xs in edge_lists(spec, rng):
        add(cat, xs)
    mutations = max(0, (total - len(out)) // 2)
    for _ in range(mutations * 3):
        if len(out) >= total or mutations <= 0:
            break
        parent = rng.choice(base)
        child = mutate(parent, rng)
        for _ in range(rng.randint(0, 2)):
            child = mutate(child, rng)
        before = len(out)
        add("mutated", child)
        mutations -= len(out) - before
    for _ in range(total * 20):
        if len(out) >= total:
            break
        add("random", random_list(rng))
    return out


def cases(call: Any, inputs: Iterable[tuple[str, tuple[Any, ...]]]) -> tuple[Case, ...]:
    """Cases from (category, args) pairs; `call(*args)` gives the expected output (on copies of the args)."""
    out = []
    for cat, args in inputs:
        expected = call(*json.loads(json.dumps(args)))
        out.append(Case(tuple(_freeze(a) for a in args), normalised(expected), cat))
    return tuple(out)


def _freeze(value: Any) -> Any:
    """Lists inside arguments become tuples (instances are frozen); JSON turns them back into lists."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value
