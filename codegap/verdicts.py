"""The one verdict function: a claim's rule applied to the metrics a run produced.

A verdict is never typed by hand. Each condition in the claim's YAML compares a
metric's 95% interval with a threshold:

- the whole interval on the predicted side  -> the condition is met;
- the whole interval on the other side      -> the condition clearly fails;
- the interval straddles the threshold      -> undecided.

`holds` needs every condition met; `does not hold` needs at least one clear
failure; anything else, or fewer instances than `min_n`, is `inconclusive`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Iterable, Literal

from codegap.claims import Condition, VerdictRule

Verdict = Literal["holds", "does not hold", "inconclusive"]
VERDICTS: tuple[Verdict, ...] = ("holds", "does not hold", "inconclusive")


@dataclass(frozen=True)
class Metric:
    """An estimate with its 95% interval and the number of instances behind it."""

    name: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    note: str = ""

    def __post_init__(self) -> None:
        for label in ("value", "ci_low", "ci_high"):
            v = getattr(self, label)
            if not isinstance(v, (int, float)) or math.isnan(v):
                raise ValueError(f"metric {self.name!r}: {label} must be a number, got {v!r}")
        if not self.ci_low <= self.value <= self.ci_high:
            raise ValueError(
                f"metric {self.name!r}: value {self.value} lies outside its interval "
                f"[{self.ci_low}, {self.ci_high}]"
            )
        if self.n < 0:
            raise ValueError(f"metric {self.name!r}: n must be >= 0")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ConditionResult:
    metric: str
    op: str
    threshold: float
    state: Literal["met", "failed", "undecided", "missing"]
    value: float | None
    ci: tuple[float, float] | None
    n: int | None

    def explain(self) -> str:
        if self.state == "missing":
            return f"{self.metric}: not produced by this run"
        lo, hi = self.ci  # type: ignore[misc]
        return (
            f"{self.metric} = {self.value:.3g} [{lo:.3g}, {hi:.3g}] (n={self.n}) "
            f"vs {self.op} {self.threshold:g}: {self.state}"
        )


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: list[ConditionResult] = field(default_factory=list)
    note: str = ""

    def explain(self) -> str:
        parts = [r.explain() for r in self.reasons]
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


def _check(cond: Condition, metric: Metric | None) -> ConditionResult:
    if metric is None:
        return ConditionResult(cond.metric, cond.op, cond.threshold, "missing", None, None, None)
    lo, hi = metric.ci_low, metric.ci_high
    if cond.op == ">":
        state = "met" if lo > cond.threshold else "failed" if hi <= cond.threshold else "undecided"
    else:
        state = "met" if hi < cond.threshold else "failed" if lo >= cond.threshold else "undecided"
    return ConditionResult(cond.metric, cond.op, cond.threshold, state, metric.value, (lo, hi), metric.n)


def decide(rule: VerdictRule, metrics: Iterable[Metric]) -> Decision:
    """Apply a claim's verdict rule to one run's metrics."""
    by_name = {m.name: m for m in metrics}
    results = [_check(c, by_name.get(c.metric)) for c in rule.all]
    used = [by_name[c.metric] for c in rule.all if c.metric in by_name]
    if any(r.state == "missing" for r in results):
        return Decision("inconclusive", results, "a metric the rule needs is missing")
    smallest_n = min((m.n for m in used), default=0)
    if smallest_n < rule.min_n:
        return Decision("inconclusive", results, f"n={smallest_n} is below the rule's min_n={rule.min_n}")
    if all(r.state == "met" for r in results):
        return Decision("holds", results)
    if any(r.state == "failed" for r in results):
        return Decision("does not hold", results)
    return Decision("inconclusive", results, "an interval straddles its threshold")
