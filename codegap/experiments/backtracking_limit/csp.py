"""The constraint core: primitive constraints, how much search an instance needs, and non-retracting baselines.

Why this module exists: the claim is about *search with backtracking*, so an
instance only counts if an assigner that never retracts fails on it, and its
difficulty is measured by how much retracting a solver has to do. Everything
here is exact (the instances are small enough to walk the whole search tree).

Variables are people `0..n-1` (listed order = the order the answer is written
in, "left to right"); values are slots `1..k`. Domains and binary relations are
bitmasks (bit x-1 set = slot x allowed), so one walk over the tree of
consistent partial assignments costs a few milliseconds.

What `search_profile` measures on the left-to-right tree (variables in listed
order, each node a partial assignment consistent with every constraint among
its variables):

- `solutions`: complete consistent assignments (the chance rate is
  solutions / k**n: the probability a uniformly random assignment is right);
- `backtracks`: the expected number of retractions of a depth-first solver
  that tries each variable's values in random order, exactly averaged over the
  orders (one fixed value order makes the count an accident of where the
  solution lies; the average is a property of the instance). A retraction is
  undoing a consistent assignment whose subtree holds no solution;
- `ascending_backtracks`: the same for values tried 1, 2, 3, ... (0 exactly
  when the greedy assigner below succeeds);
- `walk_success`: the probability that a left-to-right assigner which never
  retracts, and picks uniformly among the values consistent with what it has
  already written, ends with a solution. This is what a generator without
  retraction (and without lookahead) achieves; the synthetic `limited` model
  behaves exactly so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal, Sequence

PrimKind = Literal["ne", "lt", "gap", "next", "same_half", "other_half", "in"]


@dataclass(frozen=True)
class Prim:
    """One primitive constraint: unary (`in`: a's slot is in `values`) or binary on people a and b.

    `ne` a != b; `lt` a < b; `gap` |a - b| >= 2; `next` b == a + 1;
    `same_half` both in the morning or both in the afternoon; `other_half`
    exactly one of them in the morning. The morning is slots 1..half.
    """

    kind: PrimKind
    a: int
    b: int = -1
    values: frozenset[int] = frozenset()

    def allows(self, x: int, y: int = 0, *, half: int = 2) -> bool:
        k = self.kind
        if k == "in":
            return x in self.values
        if k == "ne":
            return x != y
        if k == "lt":
            return x < y
        if k == "gap":
            return abs(x - y) >= 2
        if k == "next":
            return y == x + 1
        if k == "same_half":
            return (x <= half) == (y <= half)
        if k == "other_half":
            return (x <= half) != (y <= half)
        raise ValueError(f"unknown primitive kind {k!r}")

    def holds(self, assignment: Sequence[int], *, half: int = 2) -> bool:
        """True when the (complete) assignment, indexed by person, satisfies this constraint."""
        if self.kind == "in":
            return self.allows(assignment[self.a], half=half)
        return self.allows(assignment[self.a], assignment[self.b], half=half)

    @property
    def scope(self) -> tuple[int, ...]:
        return (self.a,) if self.kind == "in" else (self.a, self.b)


def _bit(x: int) -> int:
    return 1 << (x - 1)


def _values(mask: int, k: int) -> list[int]:
    return [x for x in range(1, k + 1) if mask >> (x - 1) & 1]


@lru_cache(maxsize=None)
def _rows(kind: PrimKind, k: int, half: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Bitmask rows of a binary primitive: (slots b may take per slot of a, slots a may take per slot of b)."""
    p = Prim(kind, 0, 1)
    fwd = tuple(sum(_bit(y) for y in range(1, k + 1) if p.allows(x, y, half=half)) for x in range(1, k + 1))
    bwd = tuple(sum(_bit(x) for x in range(1, k + 1) if p.allows(x, y, half=half)) for y in range(1, k + 1))
    return fwd, bwd


#: slots in each mask, per number of slots k (the tree walk looks these up instead of decoding bits)
_VALUE_LISTS = {k: [tuple(_values(m, k)) for m in range(1 << k)] for k in range(1, 9)}


@dataclass(frozen=True)
class Profile:
    """How much search an instance needs (see module doc)."""

    solutions: int
    backtracks: float
    ascending_backtracks: int
    walk_success: float
    nodes: int
    chance: float


class Network:
    """Bitmask form of n variables with slots 1..k under primitive constraints."""

    def __init__(self, n: int, k: int, prims: Sequence[Prim], *, half: int = 2) -> None:
        self.n, self.k, self.half = n, k, half
        full = (1 << k) - 1
        self.dom = [full] * n
        # rel[u][v][x-1]: slots v may take when u takes x (None: no constraint between u and v)
        self.rel: list[list[list[int] | None]] = [[None] * n for _ in range(n)]
        for p in prims:
            if p.kind == "in":
                self.dom[p.a] &= sum(_bit(x) for x in p.values if 1 <= x <= k)
                continue
            if p.a == p.b:
                raise ValueError(f"constraint {p} relates a person to themself")
            fwd, bwd = _rows(p.kind, k, half)
            for u, v, rows in ((p.a, p.b, fwd), (p.b, p.a, bwd)):
                old = self.rel[u][v]
                self.rel[u][v] = list(rows) if old is None else [o & r for o, r in zip(old, rows)]
        self.neighbours = [[v for v in range(n) if self.rel[u][v] is not None] for u in range(n)]
        self.earlier = [[u for u in self.neighbours[v] if u < v] for v in range(n)]

    def allowed(self, assignment: Sequence[int], v: int) -> int:
        """Mask of slots for v consistent with every assigned neighbour (0 = unassigned)."""
        m = self.dom[v]
        for u in self.neighbours[v]:
            x = assignment[u]
            if x:
                m &= self.rel[u][v][x - 1]  # type: ignore[index]
        return m

    def satisfied(self, assignment: Sequence[int]) -> bool:
        """True when a complete assignment (slots 1..k per person) satisfies every constraint."""
        if len(assignment) != self.n or any(not 1 <= x <= self.k for x in assignment):
            return False
        return all(self.allowed(assignment, v) >> (assignment[v] - 1) & 1 for v in range(self.n))

    # --- the left-to-right search tree ------------------------------------------------------------
    @cached_property
    def profile(self) -> Profile:
        n, k = self.n, self.k
        a = [0] * n
        vals = _VALUE_LISTS[k]
        dom = self.dom
        earlier = [[(u, self.rel[u][v]) for u in self.earlier[v]] for v in range(n)]
        dead = (0, 0.0, 0, 0.0, 0)

        def rec(i: int) -> tuple[int, float, int, float, int]:
            """(solutions, E[retractions], ascending retractions, walk success, consistent nodes below)."""
            if i == n:
                return 1, 0.0, 0, 1.0, 0
            m = dom[i]
            for u, row in earlier[i]:
                m &= row[a[u] - 1]  # type: ignore[index]
            vs = vals[m]
            if not vs:
                return dead
            sols = nodes = n_good = n_bad = cost_bad = asc = 0
            walk = e_good = 0.0
            found = False
            for x in vs:
                a[i] = x
                s, e, ac, w, nd = rec(i + 1)
                nodes += 1 + nd
                walk += w
                if s:
                    sols += s
                    n_good += 1
                    e_good += e
                    if not found:  # ascending order: everything before the first good child is retracted
                        asc += ac
                        found = True
                else:
                    n_bad += 1
                    cost_bad += 1 + nd
                    if not found:
                        asc += 1 + nd
            a[i] = 0
            if not n_good:
                return 0, 0.0, 0, 0.0, nodes
            # random value order: the failing children tried before the first good one are, in
            # expectation, n_bad / (n_good + 1) of them, each retracted with its whole subtree
            expected = (cost_bad / (n_good + 1) if n_bad else 0.0) + e_good / n_good
            return sols, expected, asc, walk / len(vs), nodes

        sols, expected, asc, walk, nodes = rec(0)
        return Profile(sols, expected, asc, walk, nodes, sols / k ** n)

    # --- assigners that never retract -----------------------------------------------------------------
    def assign_without_backtracking(self, *, order: Literal["listed", "fewest"], lookahead: bool) -> list[int] | None:
        """A one-pass assigner: the smallest fitting slot for each person in turn, never undone.

        `order="listed"` takes people left to right; `"fewest"` takes next the
        unassigned person with the fewest slots left (the MRV heuristic), ties
        by listed order. With `lookahead` (forward checking), a slot only fits
        if every unassigned person keeps at least one possible slot. Returns
        the complete assignment, or None when it gets stuck.
        """
        n, k, rel = self.n, self.k, self.rel
        a = [0] * n
        cur = list(self.dom)  # slots still fitting each person, given what is assigned
        left = list(range(n))
        while left:
            v = min(left, key=lambda u: (cur[u].bit_count(), u)) if order == "fewest" else left[0]
            others = [u for u in self.neighbours[v] if not a[u]]
            chosen = 0
            for x in _VALUE_LISTS[k][cur[v]]:
                if lookahead and any(not cur[u] & rel[v][u][x - 1] for u in others):  # type: ignore[index]
                    continue
                chosen = x
                break
            if not chosen:
                return None
            a[v] = chosen
            for u in others:
                cur[u] &= rel[v][u][chosen - 1]  # type: ignore[index]
            left.remove(v)
        return a

    def baseline_runs(self, *, first_only: bool = False) -> dict[str, list[int] | None]:
        """What each non-retracting assigner writes: its schedule when it gets through, else None.

        An assigner that gets through has written a solution (every slot it
        wrote fitted everyone assigned before). With `first_only` the runs
        stop at the first that gets through (the generator only needs one).
        """
        out: dict[str, list[int] | None] = {}
        for order in ("listed", "fewest"):
            for lookahead in (False, True):
                name = f"{'forward-checking' if lookahead else 'greedy'} ({order} order)"
                out[name] = self.assign_without_backtracking(order=order, lookahead=lookahead)  # type: ignore[arg-type]
                if first_only and out[name] is not None:
                    return out
        return out

    def baselines(self) -> dict[str, bool]:
        """Whether each non-retracting assigner solves the instance (the generator keeps only all-False)."""
        return {name: got is not None for name, got in self.baseline_runs().items()}

    def first_conflict(self, assignment: Sequence[int]) -> tuple[int, bool] | None:
        """Where a complete assignment first breaks a constraint, read left to right.

        Returns (person index, dead end): `dead end` is True when no slot at
        all fits that person after the (consistent) people before it, i.e. the
        prefix written so far cannot be completed without retracting it; False
        when a fitting slot existed and another was written. None when the
        assignment is consistent.
        """
        a = [0] * self.n
        for v in range(self.n):
            m = self.allowed(a, v)
            x = assignment[v]
            if not (1 <= x <= self.k and m >> (x - 1) & 1):
                return v, m == 0
            a[v] = x
        return None


def solutions(net: Network, limit: int = 10_000) -> list[list[int]]:
    """Up to `limit` solutions in lexicographic order (tests and the synthetic models use it)."""
    out: list[list[int]] = []
    a = [0] * net.n

    def rec(i: int) -> bool:
        if i == net.n:
            out.append(list(a))
            return len(out) >= limit
        for x in _values(net.allowed(a[:i] + [0] * (net.n - i), i), net.k):
            a[i] = x
            if rec(i + 1):
                return True
        a[i] = 0
        return False

    rec(0)
    return out


def walk(net: Network, rng: random.Random) -> list[int]:
    """One run of the non-retracting random assigner (the `limited` synthetic model's one pass).

    Left to right, a uniformly random slot among those consistent with what is
    already written; when none fits, a random slot anyway (it cannot go back).
    """
    a = [0] * net.n
    for v in range(net.n):
        fits = _values(net.allowed(a, v), net.k)
        a[v] = rng.choice(fits) if fits else rng.randint(1, net.k)
    return a
