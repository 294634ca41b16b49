"""The one verdict function: a claim's rule applied to the metrics a run produced.

A verdict is never typed by hand. Each condition in the claim's YAML compares a
metric's interval with a threshold:

- the whole interval on the predicted side  -> the condition is met;
- the whole interval on the other side      -> the condition clearly fails;
- the interval straddles the threshold      -> undecided.

Premises (manipulation checks) are conditions too, tested first: when one
clearly fails, the experiment did not engage (the model never revises its
answer, chain of thought gives no benefit even on the familiar variant, most
replies are unreadable) and the verdict is `premise not met`, which says
nothing about the claim either way. Then `holds` needs every rule condition
met; `does not hold` needs at least one clear failure; anything else, or fewer
units than `min_n`, is `inconclusive` (with "at budget" when the run spent its
budget undecided).

Error rates: the rule's conditions share the 5% error budget (each interval is
at level 1 - 0.05/k for k conditions), so a wrong `does not hold` has at most
a 5% chance however many conditions a rule has; premises share another 5%.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Iterable, Literal

if TYPE_CHECKING:  # the schema imports nothing from here; avoid a cycle at import time
    from codegap.claims import Condition, VerdictRule

Verdict = Literal["holds", "does not hold", "inconclusive", "premise not met"]
VERDICTS: tuple[Verdict, ...] = ("holds", "does not hold", "inconclusive", "premise not met")

#: One line per state, shown wherever verdicts are (book, CLI).
MEANING: dict[str, str] = {
    "holds": "every condition of the claim's rule is met: its interval lies wholly on the predicted side",
    "does not hold": "at least one condition clearly fails: its interval lies wholly on the other side",
    "inconclusive": "the evidence does not decide yet: an interval still straddles its threshold",
    "premise not met": "a manipulation check failed, so this run cannot speak to the claim either way",
}

#: Family-wise error budget of a rule's conditions, and of its premises.
ALPHA = 0.05


@dataclass(frozen=True)
class Metric:
    """An estimate with its interval, the number of units behind it and how the interval was made."""

    name: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    note: str = ""
    method: str = ""
    unit: str = ""
    #: the range one unit's value can take (a proportion [0, 1], a difference [-1, 1])
    bounds: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        for label in ("value", "ci_low", "ci_high"):
            v = getattr(self, label)
            if not isinstance(v, (int, float)) or math.isnan(v) or math.isinf(v):
                raise ValueError(f"metric {self.name!r}: {label} must be a finite number, got {v!r}")
        if not self.ci_low <= self.value <= self.ci_high:
            raise ValueError(
                f"metric {self.name!r}: value {self.value} lies outside its interval "
                f"[{self.ci_low}, {self.ci_high}]"
            )
        if self.n < 0:
            raise ValueError(f"metric {self.name!r}: n must be >= 0")

    def as_dict(self) -> dict:
        return asdict(self)


State = Literal["met", "failed", "undecided", "missing"]


@dataclass(frozen=True)
class ConditionResult:
    metric: str
    op: str
    threshold: float
    state: State
    value: float | None
    ci: tuple[float, float] | None
    n: int | None
    premise: bool = False

    def explain(self) -> str:
        label = "premise " if self.premise else ""
        if self.state == "missing":
            return f"{label}{self.metric}: not produced by this run"
        lo, hi = self.ci  # type: ignore[misc]
        return (f"{label}{self.metric} = {self.value:.3g} [{lo:.3g}, {hi:.3g}] (n={self.n}) "
                f"vs {self.op} {self.threshold:g}: {self.state}")


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: list[ConditionResult] = field(default_factory=list)
    note: str = ""

    @property
    def decided(self) -> bool:
        """True when more evidence cannot change the verdict (a run may stop)."""
        return self.verdict != "inconclusive"

    def explain(self) -> str:
        parts = [r.explain() for r in self.reasons]
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


def condition_alpha(rule: "VerdictRule", metric: str) -> float:
    """The error level of `metric`'s interval under `rule` (see module doc); 0.05 if unused."""
    levels = [ALPHA]
    if rule.all and any(c.metric == metric for c in rule.all):
        levels.append(ALPHA / len(rule.all))
    if rule.premises and any(c.metric == metric for c in rule.premises):
        levels.append(ALPHA / len(rule.premises))
    return min(levels)


def rule_version(rule: "VerdictRule") -> str:
    """A short digest of the rule as written (conditions, premises, thresholds, min_n).

    Records keep it, so the book can tell a verdict that changed because the
    evidence changed from one that changed because the rule did. The `why`
    texts are excluded: rewording an explanation does not change a rule.
    """
    data = rule.model_dump(mode="json", exclude={"log"})
    for key in ("all", "premises"):
        for cond in data.get(key, []):
            cond.pop("why", None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _check(cond: "Condition", metric: Metric | None, premise: bool) -> ConditionResult:
    if metric is None:
        return ConditionResult(cond.metric, cond.op, cond.threshold, "missing", None, None, None, premise)
    lo, hi = metric.ci_low, metric.ci_high
    if cond.op == ">":
        state = "met" if lo > cond.threshold else "failed" if hi <= cond.threshold else "undecided"
    else:
        state = "met" if hi < cond.threshold else "failed" if lo >= cond.threshold else "undecided"
    return ConditionResult(cond.metric, cond.op, cond.threshold, state, metric.value, (lo, hi),
                           metric.n, premise)


def decide(rule: "VerdictRule", metrics: Iterable[Metric], *, at_budget: bool = False) -> Decision:
    """Apply a claim's verdict rule (premises first) to one run's metrics."""
    by_name = {m.name: m for m in metrics}
    premises = [_check(c, by_name.get(c.metric), True) for c in rule.premises]
    results = [_check(c, by_name.get(c.metric), False) for c in rule.all]
    reasons = premises + results
    if any(r.state == "missing" for r in reasons):
        return Decision("inconclusive", reasons, "a metric the rule needs is missing")
    budget_note = "budget spent with the verdict undecided" if at_budget else ""
    # Each premise rules on its own evidence: a metric counted over a subset (e.g. among
    # problems that passed the base tests) must not keep a clearly failed premise from ruling.
    if any(r.state == "failed" and (r.n or 0) >= rule.min_n for r in premises):
        return Decision("premise not met", reasons)
    used = [by_name[c.metric] for c in [*rule.premises, *rule.all]]
    smallest_n = min((m.n for m in used), default=0)
    if smallest_n < rule.min_n:
        return Decision("inconclusive", reasons,
                        f"n={smallest_n} is below the rule's min_n={rule.min_n}"
                        + (f"; {budget_note}" if at_budget else ""))
    if any(r.state == "undecided" for r in premises):
        return Decision("inconclusive", reasons, "a premise is not yet established"
                        + (f"; {budget_note}" if at_budget else ""))
    if all(r.state == "met" for r in results):
        return Decision("holds", reasons)
    if any(r.state == "failed" for r in results):
        return Decision("does not hold", reasons)
    return Decision("inconclusive", reasons, "an interval straddles its threshold"
                    + (f"; {budget_note}" if at_budget else ""))
