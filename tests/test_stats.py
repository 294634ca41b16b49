"""Tests of codegap.stats: Wilson intervals, bootstrap intervals, unbiased pass@k."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.stats import (
    bootstrap_ci,
    diff_metric,
    mean_metric,
    pass_at_k,
    pass_at_k_mean,
    proportion,
    wilson,
)


def wilson_by_formula(s: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The textbook Wilson score interval, written out independently of statsmodels."""
    p = s / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@given(n=st.integers(1, 500), data=st.data())
def test_wilson_matches_formula_and_contains_estimate(n: int, data: st.DataObject) -> None:
    s = data.draw(st.integers(0, n))
    lo, hi = wilson(s, n)
    flo, fhi = wilson_by_formula(s, n)
    assert lo == pytest.approx(max(flo, 0.0), abs=1e-9)
    assert hi == pytest.approx(min(fhi, 1.0), abs=1e-9)
    assert 0.0 <= lo <= s / n <= hi <= 1.0


def test_wilson_known_value_and_errors() -> None:
    lo, hi = wilson(7, 20)
    assert (round(lo, 4), round(hi, 4)) == (0.1812, 0.5671)
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="successes"):
        wilson(5, 3)


def test_proportion_metric() -> None:
    m = proportion("acc", 7, 20)
    assert (m.name, m.value, m.n) == ("acc", 0.35, 20)
    assert m.ci_low < 0.35 < m.ci_high
    empty = proportion("acc", 0, 0)
    assert (empty.n, empty.ci_low, empty.ci_high) == (0, 0.0, 1.0)
    assert empty.note == "no instances"


def exact_pass_at_k(n: int, c: int, k: int) -> Fraction:
    return 1 - Fraction(math.comb(n - c, k), math.comb(n, k))


@given(n=st.integers(1, 60), data=st.data())
def test_pass_at_k_equals_exact_binomial_form(n: int, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, n))
    k = data.draw(st.integers(1, n))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact_pass_at_k(n, c, k)), abs=1e-12)


@given(n=st.integers(2, 200), data=st.data())
def test_pass_at_k_monotone_in_k_and_c(n: int, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, n - 1))
    curve = [pass_at_k(n, c, k) for k in range(1, n + 1)]
    assert all(a <= b + 1e-12 for a, b in zip(curve, curve[1:]))
    assert curve[0] == pytest.approx(c / n)  # pass@1 is the plain success rate
    assert all(pass_at_k(n, c, k) <= pass_at_k(n, c + 1, k) + 1e-12 for k in range(1, n + 1))


def test_pass_at_k_large_n_is_finite_and_edges() -> None:
    assert pass_at_k(1000, 1, 500) == pytest.approx(0.5)
    assert pass_at_k(5000, 0, 100) == 0.0
    assert pass_at_k(10, 8, 3) == 1.0  # fewer wrong samples than k: a correct one is always drawn
    for bad in [(5, 6, 1), (5, 2, 0), (5, 2, 6)]:
        with pytest.raises(ValueError):
            pass_at_k(*bad)
    assert pass_at_k_mean([(4, 0), (4, 4)], 1) == 0.5
    with pytest.raises(ValueError):
        pass_at_k_mean([], 1)


def test_bootstrap_ci_reproducible_and_covers_mean() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 1.0, size=80)
    a = bootstrap_ci(x, np.mean, seed=5)
    b = bootstrap_ci(x, np.mean, seed=5)
    assert a == b
    assert a[0] < x.mean() < a[1]
    assert a[0] > 2.3 and a[1] < 3.7
    # constant data: the statistic cannot vary
    assert bootstrap_ci([1.0] * 10, np.mean) == (1.0, 1.0)
    with pytest.raises(ValueError, match="at least one"):
        bootstrap_ci([], np.mean)
    with pytest.raises(ValueError, match="equal lengths"):
        bootstrap_ci(([1, 0], [1, 0, 1]), lambda u, v: u.mean() - v.mean(), paired=True)


def test_diff_metric_unpaired_and_paired() -> None:
    # b is a with a few extra failures: the paired interval must be tighter
    rng = np.random.default_rng(0)
    a = rng.random(60) < 0.6
    b = a.copy()
    b[np.flatnonzero(a)[:10]] = False  # 10 of 60 turn wrong
    unpaired = diff_metric("gain", a, b, seed=1)
    paired = diff_metric("gain", a, b, seed=1, paired=True)
    expected = a.mean() - b.mean()
    assert unpaired.value == pytest.approx(expected) == paired.value
    assert paired.ci_low > 0  # the paired design detects the gain
    assert (paired.ci_high - paired.ci_low) < (unpaired.ci_high - unpaired.ci_low)
    assert unpaired.n == 60
    # Identical all-correct samples: no difference, but 20 instances cannot rule out a
    # small one, so the score interval keeps a width (a bootstrap would give [0, 0]).
    same = diff_metric("gain", [1] * 20, [1] * 20)
    assert same.value == 0.0 and same.ci_low < -0.05 and same.ci_high > 0.05
    assert diff_metric("gain", [1] * 400, [1] * 400).ci_high < 0.02  # and it shrinks with n
    with pytest.raises(ValueError, match="gain"):
        diff_metric("gain", [], [1])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=2, max_size=40), st.lists(st.booleans(), min_size=2, max_size=40))
def test_diff_metric_interval_always_contains_estimate(a: list[bool], b: list[bool]) -> None:
    m = diff_metric("d", a, b, seed=3)
    assert m.ci_low <= m.value <= m.ci_high
    assert -1.0 <= m.ci_low and m.ci_high <= 1.0


def test_mean_metric() -> None:
    m = mean_metric("m", [0.0, 1.0, 1.0, 0.0, 1.0])
    assert m.value == pytest.approx(0.6)
    assert m.ci_low <= 0.6 <= m.ci_high and m.n == 5
    with pytest.raises(ValueError):
        mean_metric("m", [])
