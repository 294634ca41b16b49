"""Generated parts of the methods page (the prose lives in book/methods.md)."""

from __future__ import annotations

from codegap.book.markdown import code, table, text
from codegap.claims import Claim, Experiment
from codegap.results import RunRecord, latest_per_model
from codegap.stats import METHODS
from codegap.verdicts import MEANING, rule_version


def verdict_rules(claims: list[Claim]) -> str:
    """Every live check's rule, straight from the YAML records."""
    rows = []
    for c in claims:
        if not isinstance(c.experiment, Experiment):
            continue
        r = c.experiment.verdict
        prem = "; ".join(f"{code(x.metric)} {text(x.op)} {x.threshold:g}" for x in r.premises) or "—"
        conds = "; ".join(f"{code(x.metric)} {text(x.op)} {x.threshold:g}" for x in r.all)
        b = c.experiment.budget
        rows.append([f"{{ref}}`{c.id} <claim-{c.id}>`", prem, conds, str(r.min_n),
                     f"{b.batch} / {b.max_units}", code(rule_version(r))])
    return table(["claim", "premises", "holds when (all)", "min n", "batch / max units", "rule version"], rows)


def verdict_states() -> str:
    return "\n".join(f"- **{v}**: {MEANING[v]}." for v in MEANING) + "\n"


def interval_methods(claims: list[Claim], records: list[RunRecord]) -> str:
    """Per claim and metric, the interval method its latest record actually used (from the records)."""
    rows = []
    for c in claims:
        if not isinstance(c.experiment, Experiment):
            continue
        latest = sorted(latest_per_model(records, c.id).values(), key=lambda r: r.date)
        rec = next((r for r in reversed(latest) if any(m.method for m in r.metrics)), None)
        if rec is None:
            continue
        for m in rec.metrics:
            kind, _, level = m.method.partition("@")
            rows.append([f"{{ref}}`{c.id} <claim-{c.id}>`", code(m.name), text(m.unit or "—"),
                         text(f"{METHODS.get(kind, kind)}"), text(level or "—")])
    if not rows:
        return "No run with recorded interval methods yet.\n"
    return table(["claim", "metric", "unit counted", "interval method", "level"], rows)


def rule_changes(claims: list[Claim]) -> str:
    """Every logged change of every rule, with date and reason (from the YAML logs)."""
    rows = []
    for c in claims:
        if not isinstance(c.experiment, Experiment):
            continue
        for i, e in enumerate(c.experiment.verdict.log):
            rows.append([f"{e.date:%Y-%m-%d}", f"{{ref}}`{c.id} <claim-{c.id}>`", code(e.version),
                         "first rule" if i == 0 else "changed", text(e.reason)])
    rows.sort(key=lambda r: r[0])
    return table(["date", "claim", "version", "", "why"], rows)


def method_names() -> str:
    return "\n".join(f"- `{k}`: {text(v)}" for k, v in METHODS.items()) + "\n"
