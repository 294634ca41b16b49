"""The search profile is exact: checked against brute force and simulation on random small networks."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.experiments.backtracking_limit import csp
from codegap.experiments.backtracking_limit.csp import Network, Prim

KINDS = ("ne", "lt", "gap", "next", "same_half", "other_half")


@st.composite
def networks(draw):
    n = draw(st.integers(3, 5))
    k = draw(st.sampled_from([2, 4]))
    prims = []
    for _ in range(draw(st.integers(1, 7))):
        a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        if draw(st.booleans()):
            prims.append(Prim(draw(st.sampled_from(KINDS)), a, b))
        else:
            vals = draw(st.sets(st.integers(1, k), min_size=1, max_size=k))
            prims.append(Prim("in", a, values=frozenset(vals)))
    return n, k, prims


def _brute(n, k, prims):
    return [list(v) for v in itertools.product(range(1, k + 1), repeat=n)
            if all(p.holds(v, half=k // 2) for p in prims)]


def _dfs(net: Network, rng: random.Random | None) -> tuple[bool, int]:
    """A depth-first solver, left to right; values ascending or (with rng) shuffled; counts retractions."""
    a = [0] * net.n
    back = 0

    def rec(i: int) -> bool:
        nonlocal back
        if i == net.n:
            return True
        vals = [x for x in range(1, net.k + 1) if net.allowed(a[:i] + [0] * (net.n - i), i) >> (x - 1) & 1]
        if rng is not None:
            rng.shuffle(vals)
        for x in vals:
            a[i] = x
            if rec(i + 1):
                return True
            back += 1
        a[i] = 0
        return False

    return rec(0), back


@settings(max_examples=60, deadline=None)
@given(networks())
def test_solutions_ascending_backtracks_and_satisfied_match_brute_force(spec):
    n, k, prims = spec
    net = Network(n, k, prims, half=k // 2)
    sols = _brute(n, k, prims)
    prof = net.profile
    assert prof.solutions == len(sols)
    assert prof.chance == len(sols) / k ** n
    found, back = _dfs(net, None)
    assert found == bool(sols)
    if sols:
        assert prof.ascending_backtracks == back
        assert csp.solutions(net) == sols
    for v in itertools.islice(itertools.product(range(1, k + 1), repeat=n), 200):
        assert net.satisfied(list(v)) == (list(v) in sols)
    # the greedy assigner (listed order, smallest slot) gets through exactly when ascending DFS never retracts
    greedy = net.assign_without_backtracking(order="listed", lookahead=False)
    if sols:
        assert (greedy is not None) == (prof.ascending_backtracks == 0)


def test_expected_backtracks_and_walk_success_match_simulation():
    rng = random.Random(7)
    checked = 0
    for _ in range(200):
        n, k = 6, 4
        prims = []
        for _ in range(9):
            a, b = rng.sample(range(n), 2)
            prims.append(Prim(rng.choice(KINDS), a, b))
        net = Network(n, k, prims)
        prof = net.profile
        if not prof.solutions or prof.backtracks < 1:
            continue
        runs = 2000
        mean_back = sum(_dfs(net, rng)[1] for _ in range(runs)) / runs
        wins = sum(net.satisfied(csp.walk(net, rng)) for _ in range(runs)) / runs
        assert abs(mean_back - prof.backtracks) < max(0.15 * prof.backtracks, 0.3), (mean_back, prof.backtracks)
        se = (prof.walk_success * (1 - prof.walk_success) / runs) ** 0.5
        assert abs(wins - prof.walk_success) < 4 * se + 0.005, (wins, prof.walk_success)
        checked += 1
        if checked == 4:
            break
    assert checked == 4


def test_first_conflict_tells_dead_ends_from_avoidable_slips():
    # A < B, B < C with 3 slots: only 1, 2, 3 works
    net = Network(3, 3, [Prim("lt", 0, 1), Prim("lt", 1, 2)], half=1)
    assert net.first_conflict([1, 2, 3]) is None
    assert net.first_conflict([2, 3, 3]) == (2, True)  # A=2, B=3 is consistent, nothing fits C
    assert net.first_conflict([1, 1, 3]) == (1, False)  # B could have been 2 or 3
