"""From samples to metrics to a verdict: the one path shared by a run, a re-score and a report.

`evaluate()` asks the check's analysis for per-unit observations, checks they
are exactly the metrics the claim declares, turns each into a `Metric` with the
interval method of its kind at the error level the rule gives it
(`codegap.verdicts.condition_alpha`), and applies the rule. The runner calls
it after every batch; `codegap rescore` and the report notebook call it on
stored samples, so all three agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from codegap import stats
from codegap.claims import Claim, Experiment, VerdictRule
from codegap.samples import SampleRow, frame
from codegap.verdicts import Decision, Metric, condition_alpha, decide

if TYPE_CHECKING:
    from codegap.experiments.base import LiveCheck


class AnalysisMismatch(ValueError):
    """The analysis emitted other metrics than the claim declares."""


@dataclass
class Evaluation:
    metrics: list[Metric]
    decision: Decision
    details: dict[str, Any] = field(default_factory=dict)
    observations: list[stats.Observations] = field(default_factory=list)


def experiment_of(claim: Claim) -> Experiment:
    if not isinstance(claim.experiment, Experiment):
        raise ValueError(f"claim {claim.id} has no live check: {claim.experiment.none}")
    return claim.experiment


def evaluate(check: "LiveCheck", claim: Claim, rows: Sequence[SampleRow], params: dict[str, Any], *,
             at_budget: bool = False, levels: dict[str, str] | None = None,
             rule: VerdictRule | None = None) -> Evaluation:
    """Metrics and verdict of `rows` under the claim's rule (or `rule`).

    `levels` maps metric name -> a recorded method string ("sequential@97.5%")
    so that a re-score reproduces a record made under an earlier rule exactly.
    """
    exp = experiment_of(claim)
    rule = rule or exp.verdict
    table = frame(rows)
    obs = check.analyse(table, params)
    declared = [m.name for m in exp.metrics]
    got = [o.name for o in obs]
    if sorted(got) != sorted(declared) or len(set(got)) != len(got):
        missing = sorted(set(declared) - set(got))
        extra = sorted(set(got) - set(declared))
        raise AnalysisMismatch(
            f"claims/{claim.id}.yaml: experiment.metrics: the analysis of {check.claim_id} emits "
            f"{', '.join(got)}; missing {missing or 'none'}, undeclared {extra or 'none'}")
    metrics = []
    for o in sorted(obs, key=lambda o: declared.index(o.name)):
        alpha = condition_alpha(rule, o.name)
        if levels and o.name in levels:
            alpha = _alpha_from_method(levels[o.name], alpha)
        metrics.append(stats.estimate(o, alpha))
    decision = decide(rule, metrics, at_budget=at_budget)
    return Evaluation(metrics, decision, check.details(table, params), obs)


def _alpha_from_method(method: str, default: float) -> float:
    """`sequential@97.5%` -> 0.025.

    The method string keeps two decimals (0.05/3 is written 98.33%), so a level
    that rounds to the rule's own is read as the rule's exact level; otherwise a
    re-score of a record under the same rule would not reproduce its intervals.
    """
    try:
        level = float(method.split("@", 1)[1].rstrip("%"))
        alpha = round(1 - level / 100, 10)
    except (IndexError, ValueError):
        return default
    return default if abs(alpha - default) < 1e-4 else alpha
