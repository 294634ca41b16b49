"""Generated list-processing tasks whose requirements can be revealed all at once or one at a time.

A task is a Python function `process(xs)` on a list of integers, fixed by
five requirements (the "shards" of Laban et al. 2025, arXiv 2505.06120):

1. the intent, always first: "returns a sorted list of integers computed
   from xs". It says *sorted* but not in which direction, so a model that
   commits to code at once has to assume one, and nearly every program (and
   Python's `sorted`) assumes smallest first;
2. `keep`: which numbers of xs are used (divisible by k, greater than t, ...);
3. `transform`: what each used number becomes (times k, plus k, squared, ...);
4. `extra`: the result holds no value twice (`distinct`), or at most K
   numbers, the first K in the result's order (`limit`);
5. `order`: the result is sorted from largest to smallest: the later shard
   that contradicts the assumption the first one invites.

Shards 2-5 come in a random order per task (the first is always the intent),
so the contradicting shard is sometimes the second turn and sometimes the
last. Every requirement is stated about xs or about the result, never as a
step after another, so it means the same whatever turn it arrives in.

The reference is computed by `Spec.run` and checked by executing the rendered
program (`Spec.code`, an independent route the tests also use); the tests are
~30 input lists, extended until they tell the reference apart from every
variant that misses one requirement and from the *locked* variant (every
requirement met but sorted smallest first), and until most reference outputs
hold two distinct values, so the direction an answer sorts in is visible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any, Literal, Sequence

from codegap.experiments.answers import make_rng
from codegap.experiments.function_problems.inputs import Case, cases

FUNC = "process"
KEEPS = ("divisible", "greater", "less", "odd")
TRANSFORMS = ("times", "plus", "minus", "square")
EXTRAS = ("distinct", "limit")
#: requirement kinds after the intent, in the order FULL states them
KINDS = ("keep", "transform", "extra", "order")
Direction = Literal["descending", "ascending"]
#: the range test numbers are drawn from
VALUES = (-12, 15)


@dataclass(frozen=True)
class Spec:
    """The five requirements of one task (constants included)."""

    keep: str
    keep_k: int
    transform: str
    transform_k: int
    extra: str
    limit_k: int
    #: "descending" is the task; "ascending" is the locked variant (the first turn's assumption kept)
    direction: Direction = "descending"
    #: requirement kinds left out (variants for tests and synthetic models; empty for the task)
    without: tuple[str, ...] = ()
    #: an input of the kind the function gets, named in the intent (no output shown)
    example: tuple[int, ...] = ()

    # --- semantics ---------------------------------------------------------------------------
    def kept(self, x: int) -> bool:
        if "keep" in self.without:
            return True
        k = self.keep_k
        return {"divisible": x % k == 0 if k else True, "greater": x > k, "less": x < k,
                "odd": x % 2 == 1}[self.keep]

    def mapped(self, x: int) -> int:
        if "transform" in self.without:
            return x
        k = self.transform_k
        return {"times": x * k, "plus": x + k, "minus": x - k, "square": x * x}[self.transform]

    def run(self, xs: Sequence[int]) -> list[int]:
        """The reference output (or a variant's, per `direction` / `without`)."""
        vals = [self.mapped(x) for x in xs if self.kept(x)]
        extra = "extra" not in self.without
        if extra and self.extra == "distinct":
            vals = list(set(vals))
        vals.sort(reverse=self.direction == "descending" and "order" not in self.without)
        if extra and self.extra == "limit":
            vals = vals[:self.limit_k]
        return vals

    def variant(self, *, direction: Direction | None = None, without: Sequence[str] = ()) -> "Spec":
        return replace(self, direction=direction or self.direction, without=tuple(without))

    # --- as Python (the independent route, and the synthetic models' answers) -------------------
    def code(self) -> str:
        """The function as a program; `order` left out means smallest first (the usual default)."""
        x = "x"
        if "transform" not in self.without:
            k = self.transform_k
            x = {"times": f"x * {k}", "plus": f"x + {k}", "minus": f"x - {k}", "square": "x * x"}[self.transform]
        cond = ""
        if "keep" not in self.without:
            k = self.keep_k
            cond = " if " + {"divisible": f"x % {k} == 0", "greater": f"x > {k}", "less": f"x < {k}",
                             "odd": "x % 2 == 1"}[self.keep]
        lines = [f"def {FUNC}(xs):", f"    result = [{x} for x in xs{cond}]"]
        extra = "extra" not in self.without
        if extra and self.extra == "distinct":
            lines.append("    result = list(set(result))")
        desc = self.direction == "descending" and "order" not in self.without
        lines.append("    result.sort(reverse=True)" if desc else "    result.sort()")
        if extra and self.extra == "limit":
            lines.append(f"    result = result[:{self.limit_k}]")
        lines.append("    return result")
        return "\n".join(lines) + "\n"

    # --- in words --------------------------------------------------------------------------------
    def example_text(self) -> str:
        return "[" + ", ".join(map(str, self.example)) + "]"

    def keep_words(self) -> str:
        k = self.keep_k
        return {"divisible": f"divisible by {k}", "greater": f"greater than {k}", "less": f"less than {k}",
                "odd": "odd"}[self.keep]

    def shard(self, kind: str) -> str:
        """One requirement as the sentence a user would say (used by SHARDED and CONCAT alike)."""
        if kind == "intent":
            return (f"Write a Python function `{FUNC}(xs)` that takes a list of integers `xs` and returns a "
                    f"sorted list of integers computed from it. It will get lists such as {self.example_text()}.")
        if kind == "keep":
            return f"Only the numbers in `xs` that are {self.keep_words()} are used; the others are ignored."
        if kind == "transform":
            k = self.transform_k
            how = {"times": f"multiplied by {k}", "plus": f"increased by {k}", "minus": f"decreased by {k}",
                   "square": "squared"}[self.transform]
            return f"Each number that is used is {how} before it goes into the result."
        if kind == "extra":
            if self.extra == "distinct":
                return "The result never contains the same value twice."
            return (f"The result holds at most {self.limit_k} numbers: when there are more, only the first "
                    f"{self.limit_k} in the result's order are kept.")
        if kind == "order":
            return "The result is sorted from largest to smallest."
        raise ValueError(f"multi-turn-lock-in: unknown requirement kind {kind!r}")

    def full_text(self) -> str:
        """The original, fluent statement of the whole task (the FULL arm)."""
        k = self.transform_k
        how = {"times": f"multiplies each of them by {k}", "plus": f"adds {k} to each of them",
               "minus": f"subtracts {k} from each of them", "square": "squares each of them"}[self.transform]
        tail = (", without repeating any value" if self.extra == "distinct"
                else f", keeping at most the first {self.limit_k} of them")
        return (f"Write a Python function `{FUNC}(xs)` that takes a list of integers `xs`, keeps the numbers "
                f"that are {self.keep_words()}, {how}, and returns the results sorted from largest to "
                f"smallest{tail}. It will get lists such as {self.example_text()}.")


@dataclass(frozen=True)
class Instance:
    """One task: its spec, the order its shards are revealed in, and verified tests."""

    id: str
    unit: int
    keep: str
    transform: str
    extra: str
    #: the turn (0-based) in which the SHARDED arm learns the direction
    order_turn: int
    spec: Spec
    #: shard kinds in the order they are revealed ("intent" first)
    shards: tuple[str, ...]
    cases: tuple[Case, ...]

    def revealed(self, turn: int) -> tuple[str, ...]:
        """Requirement kinds known after `turn` (0-based) in the SHARDED arm."""
        return self.shards[:turn + 1]

    def so_far(self, turn: int) -> tuple[Spec, ...]:
        """The specs consistent with what SHARDED has said by `turn`: both directions until `order` is said."""
        missing = tuple(k for k in KINDS if k not in self.revealed(turn))
        if "order" in missing:
            rest = tuple(k for k in missing if k != "order")
            return (self.spec.variant(direction="ascending", without=rest),
                    self.spec.variant(direction="descending", without=rest))
        return (self.spec.variant(without=missing),)


def draw_spec(rng: random.Random, keeps: Sequence[str], transforms: Sequence[str], extra: str) -> Spec:
    keep = rng.choice(list(keeps))
    keep_k = {"divisible": rng.choice([2, 3, 4, 5]), "greater": rng.randint(-3, 5), "less": rng.randint(0, 8),
              "odd": 0}[keep]
    transform = rng.choice(list(transforms))
    transform_k = {"times": rng.choice([2, 3, 4, 5, 10]), "plus": rng.randint(1, 9), "minus": rng.randint(1, 9),
                   "square": 0}[transform]
    return Spec(keep, keep_k, transform, transform_k, extra, rng.randint(2, 4))


#: variants the tests must tell apart from the task (each misses exactly one thing)
def rivals(spec: Spec) -> list[Spec]:
    return [spec.variant(direction="ascending")] + [spec.variant(without=(k,)) for k in ("keep", "transform", "extra")]


def _inputs(rng: random.Random, spec: Spec, count: int) -> list[tuple[int, ...]]:
    """`count` distinct lists: three fixed edge cases, then random ones.

    A random list is kept when its reference output holds two distinct values
    (the direction of an answer is visible on it), or when it tells apart a
    rival no earlier list did, or while fewer than a quarter of the lists are
    uninformative; drawing goes on until there are `count` lists and every
    rival is told apart.
    """
    out: list[tuple[int, ...]] = [(), (0,), (spec.keep_k, spec.keep_k, -spec.keep_k)]
    seen = set(out)
    kept = [v for v in range(VALUES[0], VALUES[1] + 1) if spec.kept(v)]
    open_rivals = [r for r in rivals(spec) if all(r.run(xs) == spec.run(xs) for xs in out)]
    dull = len(out)
    for _ in range(20000):
        if len(out) >= count and not open_rivals:
            return out
        n = rng.randint(3, 9)
        # most numbers pass `keep` (so most outputs hold two values or more), some do not
        xs_list = [rng.choice(kept) if rng.random() < 0.65 else rng.randint(*VALUES) for _ in range(n)]
        if rng.random() < 0.4:  # a repeat or a sign twin of a kept number, where `distinct` matters
            twin = rng.choice(xs_list)
            xs_list.insert(rng.randrange(len(xs_list) + 1), twin if rng.random() < 0.6 else -twin)
        xs = tuple(xs_list)
        if xs in seen:
            continue
        want = spec.run(xs)
        splits = [r for r in open_rivals if r.run(xs) != want]
        informative = len(set(want)) >= 2
        if not (informative or splits or (len(out) < count and 4 * (dull + 1) <= count)):
            continue
        out.append(xs)
        seen.add(xs)
        dull += not informative
        open_rivals = [r for r in open_rivals if r not in splits]
    raise RuntimeError(f"multi-turn-lock-in: no informative inputs for {spec}")  # pragma: no cover


def make(seed: int, index: int, params: dict[str, Any]) -> Instance:
    """The task of unit `index`: a pure function of (seed, index, parameters)."""
    keeps, transforms, extras = (list(params[k]) for k in ("keeps", "transforms", "extras"))
    for name, got, known in (("keeps", keeps, KEEPS), ("transforms", transforms, TRANSFORMS),
                             ("extras", extras, EXTRAS)):
        bad = [g for g in got if g not in known]
        if not got or bad:
            raise ValueError(f"multi-turn-lock-in: parameter {name} must be a non-empty list of "
                             f"{', '.join(known)}; got {got!r}")
    tests = int(params["tests"])
    if tests < 8:
        raise ValueError(f"multi-turn-lock-in: parameter tests must be >= 8, got {tests}")
    rng = make_rng(seed, "multi-turn-lock-in", index)
    spec = draw_spec(rng, keeps, transforms, extras[index % len(extras)])
    later = list(KINDS)
    rng.shuffle(later)
    shards = ("intent", *later)
    inputs = _inputs(rng, spec, tests)
    spec = replace(spec, example=tuple(rng.randint(*VALUES) for _ in range(7)))
    return Instance(f"u{index}", index, spec.keep, spec.transform, spec.extra, shards.index("order"), spec,
                    shards, cases(spec.run, (("test", (list(xs),)) for xs in inputs)))
