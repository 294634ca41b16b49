"""Tests of codegap.stats: confidence sequences against an independent implementation and by
simulated time-uniform coverage; replicates; Wilson and Newcombe; unbiased pass@k."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.stats import (
    BETTING_C,
    Observations,
    PowerGap,
    confidence_path,
    confidence_sequence,
    estimate,
    minimum_detectable_effect,
    newcombe_diff,
    observations,
    paired_differences,
    pass_at_k,
    pass_at_k_mean,
    replicate_interval,
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




# --- confidence sequences ---------------------------------------------------------------------


def hedged_capital_excluded(x: np.ndarray, m: float, alpha: float, c: float = BETTING_C, theta: float = 0.5) -> bool:
    """Waudby-Smith & Ramdas (2024), Theorem 3, written out step by step (independently of ville):
    is the candidate mean m (data in [0, 1]) excluded at some time up to len(x)?

    K_t(m) = max(theta * prod(1 + l+_i (x_i - m)), (1 - theta) * prod(1 - l-_i (x_i - m))), with the
    predictable plug-in bet l_i = sqrt(2 log(2/alpha) / (s2_{i-1} * i * log(1 + i))), truncated at
    c/m (upward) and c/(1 - m) (downward); mu_i = (1/2 + sum x) / (i + 1), s2_i = (1/4 + sum (x - mu)^2) / (i + 1).
    """
    k_up = k_down = 1.0
    sum_x = sum_dev = 0.0
    s2_prev = 0.25
    for i, xi in enumerate(x, start=1):
        lam = math.sqrt(2 * math.log(2 / alpha) / (s2_prev * i * math.log1p(i)))
        up = min(lam, c / m) if m > 0 else lam
        down = min(lam, c / (1 - m)) if m < 1 else lam
        k_up *= 1 + up * (xi - m)
        k_down *= 1 - down * (xi - m)
        if max(theta * k_up, (1 - theta) * k_down) >= 1 / alpha:
            return True
        sum_x += xi
        mu = (0.5 + sum_x) / (i + 1)
        sum_dev += (xi - mu) ** 2
        s2_prev = (0.25 + sum_dev) / (i + 1)
    return False


@pytest.mark.parametrize("seed, p, n", [(0, 0.3, 60), (1, 0.5, 120), (2, 0.9, 40), (3, 1.0, 30)])
def test_confidence_sequence_matches_the_published_construction(seed: int, p: float, n: int) -> None:
    x = (np.random.default_rng(seed).random(n) < p).astype(float)
    lo, hi = confidence_sequence(x, (0.0, 1.0), 0.05)
    grid = np.linspace(0.005, 0.995, 199)
    kept = [m for m in grid if not hedged_capital_excluded(x, m, 0.05)]
    assert kept, "the reference keeps some candidate means"
    step = 1 / 4000 * 3
    # the library's interval holds every mean the construction keeps, and not much more
    assert lo <= min(kept) + 1e-9 and hi >= max(kept) - 1e-9
    assert lo >= min(kept) - 0.005 - step and hi <= max(kept) + 0.005 + step


def _miscovers(rng: np.random.Generator, draw, truth: float, n: int, bounds=(0.0, 1.0), looks: int = 10) -> bool:
    """Does the sequence exclude the truth at any of `looks` equally spaced looks?"""
    lo, hi = confidence_path(draw(rng, n), bounds, 0.05)
    at = np.linspace(n / looks, n, looks).astype(int) - 1
    return bool(np.any((lo[at] > truth) | (hi[at] < truth)))


def test_time_uniform_coverage_of_a_proportion_under_repeated_looks() -> None:
    rng = np.random.default_rng(7)
    draw = lambda r, n: (r.random(n) < 0.3).astype(float)  # noqa: E731
    misses = sum(_miscovers(rng, draw, 0.3, 150) for _ in range(120))
    assert misses / 120 <= 0.05 + 0.03  # anytime-valid: peeking ten times does not inflate error


def test_time_uniform_coverage_of_a_paired_difference() -> None:
    rng = np.random.default_rng(8)
    # d in {-1, 0, 1} with mean 0.1 (a model that wins 30% and loses 20% of pairs)
    draw = lambda r, n: r.choice([1.0, 0.0, -1.0], p=[0.3, 0.5, 0.2], size=n)  # noqa: E731
    misses = sum(_miscovers(rng, draw, 0.1, 150, bounds=(-1.0, 1.0)) for _ in range(120))
    assert misses / 120 <= 0.05 + 0.03


def test_never_zero_width_and_shrinks_with_evidence() -> None:
    for n in (5, 20, 80):
        lo, hi = confidence_sequence(np.zeros(n), (-1.0, 1.0), 0.05)
        assert hi - lo > 0.0
    w = [np.subtract(*confidence_sequence(np.zeros(n), (-1.0, 1.0), 0.05)[::-1]) for n in (10, 40, 160)]
    assert w[0] > w[1] > w[2]
    # an always-zero paired difference needs on the order of a hundred units to fall below 0.05
    assert confidence_sequence(np.zeros(60), (-1.0, 1.0), 0.025)[1] > 0.05
    assert confidence_sequence(np.zeros(200), (-1.0, 1.0), 0.025)[1] < 0.05


def test_estimate_names_its_method_and_level() -> None:
    m = estimate(observations("acc", [1, 0, 1, 1]), 0.025)
    assert (m.value, m.n, m.method) == (0.75, 4, "sequential@97.5%")
    assert 0.0 <= m.ci_low < m.value < m.ci_high <= 1.0
    with pytest.raises(ValueError, match="must lie in"):
        observations("acc", [2.0])
    with pytest.raises(ValueError, match="differ in length"):
        paired_differences("d", [1, 0], [1])
    empty = estimate(observations("acc", []), 0.05)
    assert (empty.ci_low, empty.ci_high, empty.n) == (0.0, 1.0, 0)


def test_power_gap_combines_two_sequences_monotonically() -> None:
    lo_obs, hi_obs = observations("a", [1.0] * 40), observations("b", [0.0] * 40)
    m = estimate(PowerGap("gap", lo_obs, hi_obs, exponent=4.0), 0.05)
    la, ua = confidence_sequence(lo_obs.values, (0, 1), 0.025)
    lb, ub = confidence_sequence(hi_obs.values, (0, 1), 0.025)
    assert m.value == 1.0 and m.ci_low == pytest.approx(la ** 4 - ub) and m.ci_high == pytest.approx(1.0)
    assert m.method == "power-gap@95%"


def test_replicates_use_t_with_a_floor() -> None:
    lo, hi = replicate_interval([0.4] * 5, [0.01] * 5, (0.0, 1.0), 0.05)
    assert lo < 0.4 < hi, "identical seeds still leave the within-seed sampling error"
    lo2, hi2 = replicate_interval([0.3, 0.5, 0.4, 0.35, 0.45], [0.0] * 5, (0.0, 1.0), 0.05)
    from scipy import stats as sps

    half = sps.t.ppf(0.975, 4) * np.std([0.3, 0.5, 0.4, 0.35, 0.45], ddof=1) / math.sqrt(5)
    assert (lo2, hi2) == pytest.approx((0.4 - half, 0.4 + half))
    obs = Observations("x", (0.3, 0.5, 0.4, 0.35, 0.45), design="replicates", unit="seed", within_var=(0.0,) * 5)
    assert estimate(obs).method == "replicates@95%"


def test_newcombe_contains_estimate_and_pairing_narrows_concordant_data() -> None:
    a = np.array([1] * 30 + [1] * 6 + [0] * 2 + [0] * 12)
    b = np.array([1] * 30 + [0] * 6 + [1] * 2 + [0] * 12)
    d = a.mean() - b.mean()
    lo_p, hi_p = newcombe_diff(a, b, paired=True)
    lo_u, hi_u = newcombe_diff(a, b, paired=False)
    assert -1 <= lo_p < d < hi_p <= 1 and -1 <= lo_u < d < hi_u <= 1
    assert hi_p - lo_p < hi_u - lo_u


def test_minimum_detectable_effect_shrinks_with_budget() -> None:
    small = minimum_detectable_effect(budget=40, threshold=0.1, op=">", bounds=(-1.0, 1.0), alpha=0.05, sims=12)
    large = minimum_detectable_effect(budget=160, threshold=0.1, op=">", bounds=(-1.0, 1.0), alpha=0.05, sims=12)
    assert large is not None and (small is None or small > large)
