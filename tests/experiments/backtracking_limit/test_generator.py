"""Generator properties: valid puzzles, references verified by other routes, determinism, and the issue-9 fixes.

The fixes pinned here (issue 9, item 2): every puzzle defeats every assigner
that never retracts (greedy and forward-checking, in the listed order and
most-constrained first), checked with a plain implementation independent of
`csp.py`; the hardness knob is the number of backtracks a depth-first solver
needs (each level's puzzles lie in its band); the chance rate is exact; and
the requirements are prose that does not map sentence by sentence onto a
solver API.
"""

from __future__ import annotations

import itertools
import re

import pytest

from codegap.claims import claim_by_id
from codegap.experiments.backtracking_limit import generator as gen
from codegap.experiments.backtracking_limit.csp import Prim

PARAMS = claim_by_id("backtracking-limit").experiment.parameters
UNITS = 6


def _unit(i: int, seed: int = 0):
    return gen.unit(i, seed, PARAMS["levels"], PARAMS["people"], PARAMS["slots"], PARAMS["rules"])


@pytest.fixture(scope="module")
def instances():
    return [inst for i in range(UNITS) for inst in _unit(i)]


# --- a plain, independent model of the puzzles (no bitmasks, no code shared with csp.py) ------------

def _holds(p: Prim, s: dict[int, int], half: int) -> bool | None:
    """Truth of a primitive under a partial schedule; None while one of its people is unassigned."""
    if any(v not in s for v in p.scope):
        return None
    x = s[p.a]
    if p.kind == "in":
        return x in p.values
    y = s[p.b]
    return {"ne": x != y, "lt": x < y, "gap": abs(x - y) >= 2, "next": y == x + 1,
            "same_half": (x <= half) == (y <= half), "other_half": (x <= half) != (y <= half)}[p.kind]


def _fits(inst, s: dict[int, int]) -> bool:
    return all(_holds(p, s, inst.half) is not False for p in inst.prims)


def _plain_assigner(inst, *, mrv: bool, lookahead: bool) -> dict[int, int] | None:
    """Smallest fitting slot per person, never undone; None when stuck."""
    n, k = len(inst.people), inst.slots
    s: dict[int, int] = {}

    def options(v: int) -> list[int]:
        return [x for x in range(1, k + 1) if _fits(inst, {**s, v: x})]

    while len(s) < n:
        left = [v for v in range(n) if v not in s]
        v = min(left, key=lambda u: (len(options(u)), u)) if mrv else left[0]
        for x in options(v):
            if lookahead and any(not [y for y in range(1, k + 1) if _fits(inst, {**s, v: x, u: y})]
                                 for u in left if u != v):
                continue
            s[v] = x
            break
        else:
            return None
    return s


def _all_solutions(inst) -> list[tuple[int, ...]]:
    n, k = len(inst.people), inst.slots
    return [vals for vals in itertools.product(range(1, k + 1), repeat=n)
            if all(_holds(p, dict(enumerate(vals)), inst.half) for p in inst.prims)]


# --- tests --------------------------------------------------------------------------------------------

def test_puzzles_are_well_formed(instances):
    for inst in instances:
        assert len(inst.people) == PARAMS["people"] == len(set(inst.people))
        assert inst.slots == PARAMS["slots"] and len(inst.rules) == PARAMS["rules"]
        assert sorted(m for _, ms in inst.teams for m in ms) == list(range(len(inst.people)))
        assert inst.n_constraints == len(inst.prims) > len(inst.rules)
        assert inst.violated(list(inst.reference)) == []
        lo, hi = PARAMS["levels"][inst.level]
        assert lo <= inst.backtracks <= hi, (inst.id, inst.backtracks)


def test_reference_and_counts_agree_with_brute_force(instances):
    k, n = PARAMS["slots"], PARAMS["people"]
    for inst in instances:
        sols = _all_solutions(inst)
        assert tuple(inst.reference) in sols
        assert inst.solutions == len(sols)
        assert inst.chance == pytest.approx(len(sols) / k ** n)


def test_reference_schedules_are_verified_by_z3(instances):
    z3 = pytest.importorskip("z3")
    for inst in instances:
        ctx = z3.Context()
        xs = [z3.Int(f"x{i}", ctx) for i in range(len(inst.people))]
        s = z3.Solver(ctx=ctx)
        h = inst.half
        for x in xs:
            s.add(x >= 1, x <= inst.slots)
        for p in inst.prims:
            a = xs[p.a]
            if p.kind == "in":
                s.add(z3.Or([a == v for v in sorted(p.values)]))
                continue
            b = xs[p.b]
            s.add({"ne": a != b, "lt": a < b, "gap": z3.Or(a - b >= 2, b - a >= 2), "next": b == a + 1,
                   "same_half": (a <= h) == (b <= h), "other_half": (a <= h) != (b <= h)}[p.kind])
        assert s.check() == z3.sat
        s.add([x == v for x, v in zip(xs, inst.reference)])
        assert s.check() == z3.sat, inst.id


def test_every_assigner_that_never_retracts_fails(instances):
    """Issue 9: greedy and forward-checking without backtracking must fail on every puzzle."""
    for inst in instances:
        for mrv in (False, True):
            for lookahead in (False, True):
                got = _plain_assigner(inst, mrv=mrv, lookahead=lookahead)
                assert got is None or not all(_holds(p, got, inst.half) for p in inst.prims), \
                    (inst.id, mrv, lookahead)
        assert not any(inst.network().baselines().values())


def test_levels_differ_in_search_not_in_size(instances):
    by_level = {lv: [i for i in instances if i.level == lv] for lv in range(len(PARAMS["levels"]))}
    sizes = {(len(i.people), i.slots, len(i.rules)) for i in instances}
    assert len(sizes) == 1
    walk = {lv: sum(i.walk_success for i in xs) / len(xs) for lv, xs in by_level.items()}
    back = {lv: sum(i.backtracks for i in xs) / len(xs) for lv, xs in by_level.items()}
    assert back[0] < back[1] and walk[0] > walk[1]


def test_requirements_are_prose_not_solver_notation(instances):
    """The solver arm must formalise: no requirement is written in code, and many need another sentence."""
    for inst in instances:
        text = inst.setting()
        assert not re.search(r"!=|==|<=|>=|[<>]|\blambda\b|addConstraint|\bdef\b|\[|\]", text), inst.id
        assert sum(len(r.prims) >= 2 for r in inst.rules) >= gen.MIN_GROUP
        assert sum(r.indirect for r in inst.rules) >= gen.MIN_INDIRECT
        for r in inst.rules:
            assert r.text in text
        # no requirement restates or tightens another: each pair of people is related at most once
        pairs = [frozenset(p.scope) for r in inst.rules for p in r.prims if p.kind != "in"]
        assert len(pairs) == len(set(pairs))


def test_same_seed_same_puzzles_and_units_do_not_depend_on_batching():
    gen.make.cache_clear()
    late_first = [_unit(i) for i in (3, 0, 1, 2)]
    gen.make.cache_clear()
    in_order = {i: _unit(i) for i in range(4)}
    assert [u for u in late_first] == [in_order[i] for i in (3, 0, 1, 2)]
    assert _unit(0, seed=1) != in_order[0]
    assert [i.id for i in in_order[2]] == ["u2-L0", "u2-L1"]


@pytest.mark.parametrize("kw, field", [
    ({"levels": []}, "levels"), ({"levels": [[3, 1]]}, "band"), ({"levels": [[1]]}, "level"),
    ({"people": 2}, "people"), ({"slots": 3}, "slots"), ({"rules": 2}, "rules"),
])
def test_bad_parameters_name_the_field(kw, field):
    args = {"levels": PARAMS["levels"], "people": 7, "slots": 4, "rules": 10, **kw}
    with pytest.raises(ValueError, match=field):
        gen.unit(0, 0, args["levels"], args["people"], args["slots"], args["rules"])
