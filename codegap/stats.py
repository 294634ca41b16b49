"""Every interval in codegap, one method per kind of evidence.

Why one module: a verdict compares a metric's interval with a threshold
(`codegap.verdicts.decide`), so the interval must mean the same thing in every
check. An experiment's analysis therefore never computes intervals itself: it
returns `Observations` (one bounded value per independent unit, in the order the
units were run), and `estimate()` turns them into a `Metric` here.

The methods, and why:

- **Decisions (every metric a run can stop on)**: an anytime-valid 95%
  confidence sequence for the mean of bounded per-unit values: the hedged
  capital ("betting") construction of Waudby-Smith & Ramdas (2024, JRSS-B,
  Theorem 3), as implemented by the `ville` package, with its running
  intersection. A run looks at its evidence after every batch and stops when
  the verdict is decided; a fixed-n interval would then cover less than 95% of
  the time, a confidence sequence covers at all sample sizes at once. It needs
  only known bounds, so the same method serves:
  * a proportion (units scored 0/1, bounds [0, 1]);
  * a difference of proportions (per unit: arm A minus arm B on the same
    instance, or on the instances generated with the same index at two
    difficulty levels; bounds [-1, 1]);
  * a cluster mean (several samples per instance, e.g. pass@k or epochs: the
    unit is the instance and its value is the mean over its samples, so samples
    of one instance are never counted as independent).
  It never has zero width: with every unit agreeing it still shrinks only as
  fast as the evidence allows (about 115 units before an always-zero paired
  difference is shown to lie below 0.05 at 97.5%).
- **Replicates (a fixed number of independent training seeds)**: Student's t
  over the per-seed values, with a floor on the standard error from the
  within-seed sampling variance, so that identical seeds never give a
  zero-width interval. Used by the from-scratch organisms (RL, SFT), whose
  design fixes the number of seeds in advance.
- **Descriptive tables** (accuracy per arm and difficulty in the notebooks,
  never used for a verdict): the Wilson score interval, good at small n and at
  0 or 1; differences in such tables use Newcombe's hybrid score interval.

pass@k uses the unbiased estimator of Chen et al. (2021), computed as a product
so it never overflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

import numpy as np
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from codegap.verdicts import Metric

#: Truncation of the bets in the hedged capital process (Waudby-Smith & Ramdas
#: suggest 1/2 or 3/4; 3/4 shrinks faster on low-variance data, which is what a
#: model that answers every item the same way produces).
BETTING_C = 0.75
#: Candidate means the capital process is tracked on; the interval is widened to
#: the neighbouring grid points, so the discretisation is conservative.
BETTING_GRID = 4000

Design = Literal["sequential", "replicates"]

METHODS: dict[str, str] = {
    "sequential": ("anytime-valid confidence sequence for a bounded mean (hedged capital / betting, "
                   "Waudby-Smith & Ramdas 2024, Thm 3; package `ville`), running intersection"),
    "power-gap": ("a prediction minus an observation, combining two confidence sequences each at half the "
                  "error level through the monotone function (anytime-valid)"),
    "replicates": "Student t over independent training seeds, standard error floored by the within-seed sampling error",
    "wilson": "Wilson score interval (descriptive tables only)",
    "newcombe": "Newcombe hybrid score interval for a difference of proportions (descriptive tables only)",
}


@dataclass(frozen=True)
class Observations:
    """What an analysis reports for one metric: one bounded value per independent unit.

    `values` are in the order the units were run (the order matters to a
    confidence sequence, and keeping it makes a re-score reproduce the interval
    exactly). `unit` names what one value is ("instance", "instance pair",
    "problem", "seed") so the methods page can say what was counted.
    """

    name: str
    values: tuple[float, ...]
    bounds: tuple[float, float] = (0.0, 1.0)
    unit: str = "instance"
    design: Design = "sequential"
    note: str = ""
    #: replicates only: each seed's within-seed sampling variance of its value
    within_var: tuple[float, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        lo, hi = self.bounds
        if not lo < hi:
            raise ValueError(f"{self.name}: bounds {self.bounds} are not increasing")
        arr = np.asarray(self.values, dtype=float)
        if arr.ndim != 1:
            raise ValueError(f"{self.name}: values must be a flat sequence")
        if np.isnan(arr).any():
            raise ValueError(f"{self.name}: values contain NaN")
        if arr.size and (arr.min() < lo - 1e-12 or arr.max() > hi + 1e-12):
            raise ValueError(f"{self.name}: values must lie in {self.bounds}, got [{arr.min()}, {arr.max()}]")

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else 0.0


def observations(name: str, values: Iterable[float | bool], *, bounds: tuple[float, float] = (0.0, 1.0),
                 unit: str = "instance", note: str = "") -> Observations:
    """Shorthand for a sequential `Observations` from any iterable of numbers or booleans."""
    return Observations(name, tuple(float(v) for v in values), bounds=bounds, unit=unit, note=note)


def paired_differences(name: str, a: Sequence[float | bool], b: Sequence[float | bool], *,
                       unit: str = "instance", note: str = "") -> Observations:
    """Per-unit `a[i] - b[i]` of two [0, 1]-valued sequences of equal length, bounds [-1, 1].

    Used both for arms on the same instance (paired by design) and for two
    difficulty levels whose instances share a generation index (independent
    pairs: still i.i.d. units whose mean is the difference of the two means).
    """
    if len(a) != len(b):
        raise ValueError(f"{name}: paired sequences differ in length ({len(a)} vs {len(b)})")
    return Observations(name, tuple(float(x) - float(y) for x, y in zip(a, b)), bounds=(-1.0, 1.0),
                        unit=unit, note=note)


def confidence_sequence(values: Sequence[float], bounds: tuple[float, float], alpha: float,
                        grid: int = BETTING_GRID) -> tuple[float, float]:
    """The anytime-valid (1 - alpha) interval after the last of `values` (see module doc)."""
    from ville import BettingCS

    lo, hi = bounds
    if len(values) == 0:
        return float(lo), float(hi)
    cs = BettingCS(bounds=bounds, alpha=alpha, c=BETTING_C, grid=grid, intersect=True)
    cs.fit(np.asarray(values, dtype=float))
    low, high = cs.interval()
    return float(max(low, lo)), float(min(high, hi))


def confidence_path(values: Sequence[float], bounds: tuple[float, float], alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The confidence sequence after every unit: (lower, upper) arrays, one entry per value."""
    from ville import BettingCS

    cs = BettingCS(bounds=bounds, alpha=alpha, c=BETTING_C, grid=BETTING_GRID, intersect=True)
    cs.fit(np.asarray(values, dtype=float))
    return np.maximum(cs.lower_, bounds[0]), np.minimum(cs.upper_, bounds[1])


def replicate_interval(values: Sequence[float], within_var: Sequence[float], bounds: tuple[float, float],
                       alpha: float) -> tuple[float, float]:
    """Student-t interval over replicate (seed) values; see module doc for the floor."""
    arr = np.asarray(values, dtype=float)
    k = arr.size
    lo_b, hi_b = bounds
    if k < 2:
        return float(lo_b), float(hi_b)
    between = float(arr.var(ddof=1)) / k
    floor = float(np.mean(within_var)) / k if len(within_var) else 0.0
    se = math.sqrt(max(between, floor, 1e-12))
    t = float(sps.t.ppf(1 - alpha / 2, df=k - 1))
    m = float(arr.mean())
    return max(m - t * se, lo_b), min(m + t * se, hi_b)


@dataclass(frozen=True)
class PowerGap:
    """`low.mean ** exponent - high.mean`: a prediction from one level minus an observation at another.

    Used where a claim contrasts an observed accuracy with what a simple model
    predicts (independent per-step errors: accuracy at depth D = accuracy at
    depth d to the power D/d). Its interval combines the two confidence
    sequences, each at half the error level (Bonferroni), through the monotone
    function: [L1^r - U2, U1^r - L2], so it is anytime-valid too.
    """

    name: str
    low: Observations
    high: Observations
    exponent: float
    unit: str = "instance pair"
    note: str = ""

    @property
    def n(self) -> int:
        return min(self.low.n, self.high.n)


def estimate(obs: Observations | PowerGap, alpha: float = 0.05) -> Metric:
    """A `Metric` (value, interval, n, method) from per-unit observations."""
    if isinstance(obs, PowerGap):
        return _estimate_power_gap(obs, alpha)
    value = obs.mean
    if obs.design == "replicates":
        lo, hi = replicate_interval(obs.values, obs.within_var, obs.bounds, alpha)
    else:
        lo, hi = confidence_sequence(obs.values, obs.bounds, alpha)
    # The running intersection can end just beside the running mean; widening to
    # contain it keeps the interval valid (a superset of a valid one).
    lo, hi = min(lo, value), max(hi, value)
    level = round(100 * (1 - alpha), 2)
    return Metric(name=obs.name, value=value, ci_low=lo, ci_high=hi, n=obs.n,
                  note=obs.note, method=f"{obs.design}@{level:g}%", unit=obs.unit, bounds=obs.bounds)


def _estimate_power_gap(g: PowerGap, alpha: float) -> Metric:
    for part in (g.low, g.high):
        if part.bounds != (0.0, 1.0):
            raise ValueError(f"{g.name}: both parts must be proportions in [0, 1]")
    l1, u1 = confidence_sequence(g.low.values, g.low.bounds, alpha / 2)
    l2, u2 = confidence_sequence(g.high.values, g.high.bounds, alpha / 2)
    r = g.exponent
    value = g.low.mean ** r - g.high.mean
    lo, hi = l1 ** r - u2, u1 ** r - l2
    lo, hi = min(lo, value), max(hi, value)
    level = round(100 * (1 - alpha), 2)
    return Metric(name=g.name, value=value, ci_low=lo, ci_high=hi, n=g.n, note=g.note,
                  method=f"power-gap@{level:g}%", unit=g.unit, bounds=(-1.0, 1.0))


# --- descriptive intervals (tables, never verdicts) -------------------------------------


def wilson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for `successes` out of `n`; (0, 1) when n == 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"wilson: need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    lo, hi = proportion_confint(successes, n, alpha=alpha, method="wilson")
    p = successes / n
    return float(min(lo, p)), float(max(hi, p))


def newcombe_diff(a: np.ndarray, b: np.ndarray, *, paired: bool, alpha: float = 0.05) -> tuple[float, float]:
    """Score interval for mean(a) - mean(b) of 0/1 outcomes (Newcombe 1998, methods 10 / 11).

    For paired data the phi correlation of the 2x2 table enters (with
    Newcombe's continuity-corrected phi); for independent samples phi = 0.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return -1.0, 1.0
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


# --- pass@k ----------------------------------------------------------------------------------


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


# --- design quantities -------------------------------------------------------------------------


def minimum_detectable_effect(*, budget: int, threshold: float, op: str, bounds: tuple[float, float],
                              alpha: float, power: float = 0.8, sims: int = 40, seed: int = 0) -> float | None:
    """Smallest distance beyond `threshold` a run of `budget` units detects with `power`.

    "Detects" means the confidence sequence lies wholly on the predicted side
    of the threshold by the last unit. Data are simulated at the noisiest
    distribution the bounds allow (every unit at one of the two bounds), so the
    figure is conservative: low-variance data (a model that answers every item
    the same way) are detected sooner. None when even the largest possible
    effect is not detected within the budget.
    """
    lo_b, hi_b = bounds
    rng = np.random.default_rng(seed)
    sign = 1.0 if op == ">" else -1.0
    room = (hi_b - threshold) if sign > 0 else (threshold - lo_b)
    if room <= 0:
        return None

    def detected(delta: float) -> float:
        mean = threshold + sign * delta
        p_hi = (mean - lo_b) / (hi_b - lo_b)
        hits = 0
        for _ in range(sims):
            x = np.where(rng.random(budget) < p_hi, hi_b, lo_b)
            low, high = confidence_sequence(x, bounds, alpha, grid=1000)  # coarse grid: conservative, fast
            hits += (low > threshold) if sign > 0 else (high < threshold)
        return hits / sims

    if detected(room) < power:
        return None
    a, b = 0.0, room
    for _ in range(7):
        mid = (a + b) / 2
        if detected(mid) >= power:
            b = mid
        else:
            a = mid
    return round(b, 3)
