"""Interval estimates shared by every experiment notebook.

Why one module: each verdict compares a metric's 95% interval with a threshold
(`codegap.verdicts.decide`), so every notebook must compute intervals the same
way. Proportions use the Wilson score interval (good coverage at small n and at
0 or 1, unlike the normal approximation); differences and other statistics use
the bootstrap via `scipy.stats.bootstrap`; pass@k uses the unbiased estimator of
Chen et al. (2021), computed as a product so it never overflows.

Intervals are returned so that they always contain the point estimate (a
percentile bootstrap interval can, rarely, miss it); `Metric` insists on that.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable, Literal, Sequence

import numpy as np
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from codegap.verdicts import Metric

BootstrapMethod = Literal["percentile", "basic", "BCa"]


def wilson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for `successes` out of `n`; (0, 1) when n == 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"wilson: need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    lo, hi = proportion_confint(successes, n, alpha=alpha, method="wilson")
    p = successes / n
    # Round-off can put the bound a hair beyond the estimate at p = 0 or 1.
    return float(min(lo, p)), float(max(hi, p))


def proportion(name: str, successes: int, n: int, note: str = "") -> Metric:
    """A success rate as a `Metric` with its Wilson 95% interval.

    With n == 0 the value is reported as 0 with the uninformative interval
    (0, 1); `decide` then returns `inconclusive` through the rule's `min_n`.
    """
    lo, hi = wilson(int(successes), int(n))
    value = successes / n if n else 0.0
    if not n and not note:
        note = "no instances"
    return Metric(name=name, value=float(value), ci_low=lo, ci_high=hi, n=int(n), note=note)


def _as_array(values: Sequence[bool | float], label: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{label}: expected a flat sequence of numbers, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{label}: contains NaN")
    return arr


def _contain(value: float, lo: float, hi: float) -> tuple[float, float]:
    """Widen (lo, hi) just enough to contain the point estimate; NaN bounds collapse to it."""
    lo = value if math.isnan(lo) else lo
    hi = value if math.isnan(hi) else hi
    return float(min(lo, value)), float(max(hi, value))


def bootstrap_ci(
    samples: Sequence[bool | float] | tuple[Sequence[bool | float], ...],
    statistic: Callable[..., float],
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    paired: bool = False,
    method: BootstrapMethod = "percentile",
) -> tuple[float, float]:
    """Bootstrap (1 - alpha) interval of `statistic` over `samples`.

    `samples` is one sequence, or a tuple of sequences for a statistic of
    several samples (then `statistic(*arrays)`; `paired=True` resamples the
    same indices in each, as for before/after measurements on the same items).
    When every sample is constant the statistic cannot vary and the interval is
    the point estimate itself; scipy would otherwise warn and return NaN.
    """
    groups = samples if isinstance(samples, tuple) else (samples,)
    arrays = tuple(_as_array(g, f"bootstrap_ci: sample {i}") for i, g in enumerate(groups))
    if any(len(a) == 0 for a in arrays):
        raise ValueError("bootstrap_ci: every sample needs at least one value")
    if paired and len({len(a) for a in arrays}) != 1:
        raise ValueError("bootstrap_ci: paired samples must have equal lengths")
    value = float(statistic(*arrays))
    if all(np.all(a == a[0]) for a in arrays) or all(len(a) == 1 for a in arrays):
        return value, value
    with warnings.catch_warnings():
        # Degenerate resamples (e.g. all equal) are handled by _contain below.
        warnings.simplefilter("ignore")
        res = sps.bootstrap(
            arrays,
            lambda *xs: statistic(*xs),
            vectorized=False,
            paired=paired,
            n_resamples=n_resamples,
            confidence_level=1 - alpha,
            method=method,
            rng=np.random.default_rng(seed),
        )
    return _contain(value, float(res.confidence_interval.low), float(res.confidence_interval.high))


def mean_metric(name: str, values: Sequence[bool | float], *, seed: int = 0, note: str = "") -> Metric:
    """Mean of per-instance values with a bootstrap 95% interval."""
    arr = _as_array(values, name)
    if len(arr) == 0:
        raise ValueError(f"metric {name!r}: no values")
    lo, hi = bootstrap_ci(arr, np.mean, seed=seed)
    return Metric(name=name, value=float(arr.mean()), ci_low=lo, ci_high=hi, n=len(arr), note=note)


def newcombe_diff(a: np.ndarray, b: np.ndarray, *, paired: bool, alpha: float = 0.05) -> tuple[float, float]:
    """Score interval for mean(a) - mean(b) of 0/1 outcomes (Newcombe 1998).

    Why not the bootstrap here: with small binary samples the bootstrap is too
    narrow, and when every pair agrees (e.g. a model that never changes its
    answer) it collapses to [0, 0], which would make a verdict look decisive on
    12 instances. The hybrid score interval combines the two Wilson intervals
    ("square and add"); for paired data it uses the phi correlation of the 2x2
    table (method 10, with Newcombe's continuity-corrected phi), for
    independent samples phi = 0 (method 10 for unpaired proportions).
    """
    n1, n2 = len(a), len(b)
    p1, p2 = float(a.mean()), float(b.mean())
    l1, u1 = wilson(int(a.sum()), n1, alpha)
    l2, u2 = wilson(int(b.sum()), n2, alpha)
    phi = 0.0
    if paired:
        both = int(np.sum((a == 1) & (b == 1)))
        only_a = int(np.sum((a == 1) & (b == 0)))
        only_b = int(np.sum((a == 0) & (b == 1)))
        neither = int(np.sum((a == 0) & (b == 0)))
        denom = (both + only_a) * (neither + only_b) * (both + only_b) * (only_a + neither)
        if denom > 0:
            num = both * neither - only_a * only_b
            num = max(num - n1 / 2, 0.0) if num > 0 else num
            phi = num / math.sqrt(denom)
    d = p1 - p2
    lo = d - math.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    hi = d + math.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return max(lo, -1.0), min(hi, 1.0)


def diff_metric(
    name: str,
    a: Sequence[bool | float],
    b: Sequence[bool | float],
    *,
    seed: int = 0,
    paired: bool = False,
    note: str = "",
) -> Metric:
    """mean(a) - mean(b) with a 95% interval.

    0/1 outcomes (accuracies) get Newcombe's score interval (`newcombe_diff`);
    other values a bootstrap interval. Use `paired=True` when a[i] and b[i] are
    the same instance under two arms (e.g. round k vs round 0 of self-review):
    the interval is then tighter because instance difficulty cancels. `n` is
    the smaller sample size, the conservative count for the rule's `min_n`.
    """
    arr_a, arr_b = _as_array(a, f"{name}: a"), _as_array(b, f"{name}: b")
    if len(arr_a) == 0 or len(arr_b) == 0:
        raise ValueError(f"metric {name!r}: both samples need values (got {len(arr_a)} and {len(arr_b)})")
    if paired and len(arr_a) != len(arr_b):
        raise ValueError(f"metric {name!r}: paired samples need equal lengths ({len(arr_a)} vs {len(arr_b)})")
    value = float(arr_a.mean() - arr_b.mean())
    binary = bool(np.isin(arr_a, (0.0, 1.0)).all() and np.isin(arr_b, (0.0, 1.0)).all())
    if binary:
        lo, hi = newcombe_diff(arr_a, arr_b, paired=paired)
    else:
        lo, hi = bootstrap_ci((arr_a, arr_b), lambda x, y: float(np.mean(x) - np.mean(y)), seed=seed, paired=paired)
    lo, hi = min(lo, value), max(hi, value)
    return Metric(name=name, value=value, ci_low=lo, ci_high=hi, n=min(len(arr_a), len(arr_b)), note=note)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 - C(n-c, k) / C(n, k).

    Computed as 1 - prod_{i=n-c+1..n} (1 - k/i), which stays exact in floating
    point for any n (the binomials themselves overflow long before n = 1000).
    """
    if not (0 <= c <= n) or not (1 <= k <= n):
        raise ValueError(f"pass_at_k: need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=float)))


def pass_at_k_mean(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean unbiased pass@k over problems, each given as its (n, c)."""
    if not counts:
        raise ValueError("pass_at_k_mean: no problems")
    return float(np.mean([pass_at_k(n, c, k) for n, c in counts]))
