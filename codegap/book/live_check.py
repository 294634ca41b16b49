"""The "Live check" section of a claim page: design, rule, power, and every verdict with its evidence.

Generated from the claim's experiment block and the result records only. Each
record is shown under the subject it actually tested; a verdict decided under an
earlier version of the rule is labelled as such and re-decided under the current
rule from its stored metrics, and a flip is marked only when two records decided
under the same rule disagree (a rule change is not new evidence).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

import pandas as pd

from codegap import stats
from codegap.book import charts
from codegap.book.markdown import Md, badge, code, html_code, mapping, raw_html, table, text
from codegap.claims import Claim, Condition, Experiment
from codegap.paths import cache_dir
from codegap.results import RunRecord, latest_per_model, verdict_flips
from codegap.verdicts import MEANING, Metric, condition_alpha, decide, rule_version


#: What the scale view plots for each claim (said once, on the claim pages and the dashboard alike).
SCALE_METRIC = "the metric of the rule's first condition (after the premises)"


def condition_text(c: Condition) -> str:
    side = "above" if c.op == ">" else "below"
    return f"{code(c.metric)} has its whole interval {side} {c.threshold:g} — {text(c.why)}"


def rule_text(exp: Experiment) -> str:
    rule = exp.verdict
    k, p = len(rule.all), len(rule.premises)
    out = []
    if rule.premises:
        out.append("**Premises** (manipulation checks, tested first; one that clearly fails gives "
                   "*premise not met*, which says nothing about the claim):\n")
        out += [f"- {condition_text(c)}" for c in rule.premises]
        out.append("")
    out.append("**The claim holds** when every condition below is met, and **does not hold** when any one "
               "clearly fails:\n")
    out += [f"- {condition_text(c)}" for c in rule.all]
    out.append("")
    out.append(f"Intervals are anytime-valid confidence sequences, so the run looks after every batch and stops "
               f"as soon as the verdict is decided. The {k} condition{'s' if k > 1 else ''} share a 5% error "
               f"budget (each interval at {100 * (1 - 0.05 / k):.4g}%)"
               + (f", and the {p} premise{'s' if p > 1 else ''} another 5%" if p else "")
               + f"; fewer than {rule.min_n} units give *inconclusive*.\n")
    return "\n".join(out)


def _mde_cached(budget: int, c: Condition, bounds: tuple[float, float], alpha: float) -> float | None:
    key = json.dumps([budget, c.threshold, c.op, list(bounds), round(alpha, 8), stats.BETTING_C], sort_keys=True)
    path = cache_dir() / "design" / f"mde-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text())["mde"]
        except (ValueError, KeyError):
            pass
    value = stats.minimum_detectable_effect(budget=budget, threshold=c.threshold, op=c.op, bounds=bounds,
                                            alpha=alpha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": key, "mde": value}))
    return value


def design_power(exp: Experiment, latest: list[RunRecord]) -> str:
    """Minimum detectable effect of each rule condition at the default budget."""
    bounds_of: dict[str, tuple[float, float]] = {}
    for rec in latest:
        for m in rec.metrics:
            if m.bounds:
                bounds_of[m.name] = tuple(m.bounds)  # type: ignore[assignment]
    rows = []
    for c in [*exp.verdict.premises, *exp.verdict.all]:
        bounds = bounds_of.get(c.metric)
        if bounds is None:
            rows.append([code(c.metric), f"{text(c.op)} {c.threshold:g}", "shown after the first run (the range of "
                         "one unit's value comes from the check's analysis)"])
            continue
        mde = _mde_cached(exp.budget.max_units, c, bounds, condition_alpha(exp.verdict, c.metric))
        shown = (f"{c.threshold + mde if c.op == '>' else c.threshold - mde:.2f} "
                 f"({mde:.2f} beyond the threshold)") if mde is not None else "not detectable within the budget"
        rows.append([code(c.metric), f"{text(c.op)} {c.threshold:g}", shown])
    return ("**Power at the default budget.** The smallest true value a full-budget run decides with 80% "
            "probability, simulated at the noisiest data the metric's range allows (every unit at one extreme); "
            "metrics counted over a subset of units (e.g. among passing programs) have fewer units than the "
            "budget, so theirs is larger. Low-variance data (a model that answers every item the same way) is "
            "decided much sooner.\n\n"
            + table(["metric", "condition", "detected with 80% probability at"], rows))


def rule_history(exp: Experiment) -> str:
    current = rule_version(exp.verdict)
    rows = [[code(e.version) + (" (current)" if e.version == current else ""), f"{e.date:%Y-%m-%d}", text(e.reason)]
            for e in exp.verdict.log]
    return "**Rule versions** (records keep the version they were decided under):\n\n" + table(
        ["version", "since", "why it changed"], rows)


def _ci(m: Any) -> str:
    return f"{m.value:.2f} [{m.ci_low:.2f}, {m.ci_high:.2f}] (n={m.n})"


def redecided(exp: Experiment, rec: RunRecord) -> str | None:
    """The verdict a record's stored metrics give under the current rule, or None when not comparable."""
    names = {m.name for m in rec.metrics}
    needed = {c.metric for c in [*exp.verdict.premises, *exp.verdict.all]}
    if not needed <= names:
        return None
    metrics = [Metric(m.name, m.value, m.ci_low, m.ci_high, m.n) for m in rec.metrics]
    return decide(exp.verdict, metrics).verdict


def _verdict_cell(exp: Experiment, rec: RunRecord, mine: list[RunRecord]) -> str:
    current = rule_version(exp.verdict)
    cell = badge(rec.verdict, flipped=verdict_flips(mine, rec.claim, rec.tested))
    if rec.rule_version != current:
        again = redecided(exp, rec)
        label = f"rule {rec.rule_version}" if rec.rule_version else "an earlier design"
        cell += f" <br><small>decided under {text(label)}; under the current rule: " + (
            text(again) if again else "not comparable (different metrics)") + "</small>"
    return cell


def results(claim: Claim, records: list[RunRecord], run_pages: Mapping[str, str]) -> str:
    exp = claim.experiment
    assert isinstance(exp, Experiment)
    mine = [r for r in records if r.claim == claim.id]
    latest = latest_per_model(mine, claim.id)
    params = ", ".join(code(f"{k}={v}") for k, v in exp.parameters.items()) or "none"
    b = exp.budget
    out = [
        "## Live check\n",
        f"Check: {code(f'codegap/experiments/{claim.id.replace(chr(45), chr(95))}/')} (its README says what it "
        f"measures, why it is designed this way and its known limits) · report notebook {code(exp.notebook)} · "
        f"default parameters {params} · budget: batches of {b.batch} units, at most {b.max_units} units"
        + (f" and {b.max_output_tokens:,} output tokens" if b.max_output_tokens else "") + ".\n",
        "Metrics:\n\n" + "\n".join(f"- {code(m.name)}: {text(m.description)}" for m in exp.metrics) + "\n",
        "### Verdict rule\n\n" + rule_text(exp),
        design_power(exp, list(latest.values())) + "\n",
        rule_history(exp) + "\n",
    ]
    if not latest:
        out.append("### Results\n\nNot run on any model yet. Run it with "
                   f"{code(f'codegap run --model <model> --claim {claim.id}')}.\n")
        return "\n".join(out)
    rule_metrics = [c.metric for c in exp.verdict.all]
    rows = []
    for subject, rec in sorted(latest.items()):
        by = {m.name: m for m in rec.metrics}
        page = run_pages.get(subject)
        nb_link = f"{{doc}}`report <{page}>`" if page else "—"
        spent = (f"{rec.spent.units} units, {rec.spent.stop}" if rec.spent else "fixed n (schema 1)")
        rows.append([code(subject), _verdict_cell(exp, rec, mine),
                     *[_ci(by[n]) if n in by else "—" for n in rule_metrics],
                     text(spent), f"{rec.date:%Y-%m-%d}", nb_link])
    out.append("### Latest verdict per tested subject\n\n"
               + "\n".join(f"- *{v}*: {MEANING[v]}." for v in MEANING) + "\n\n"
               + table(["tested", "verdict", *[code(n) for n in rule_metrics], "evidence used", "run date",
                        "report"], rows))
    out.append("\n" + "\n".join(
        f"- {code(s)}: {text(r.verdict_explanation or r.verdict)}" for s, r in sorted(latest.items())) + "\n")
    mdf = pd.DataFrame([
        {"model": r.tested, "metric": m.name, "value": m.value, "ci_low": m.ci_low,
         "ci_high": m.ci_high, "n": m.n, "verdict": r.verdict}
        for r in latest.values() for m in r.metrics if m.name in rule_metrics
        or m.name in {c.metric for c in exp.verdict.premises}
    ])
    if not mdf.empty:
        out.append(charts.html_block(charts.metrics_chart(mdf),
                                     f"{claim.id}: the rule's metrics on each tested subject, with their intervals"))
    scale = scale_frame([claim], records)
    if not scale.empty and scale["parameters_b"].nunique() > 1:
        out.append("### Across model size\n")
        out.append(charts.html_block(charts.scale_chart(scale),
                                     f"{claim.id}: {SCALE_METRIC} against model size (embedded models)"))
    out.append("### Provenance of each number\n")
    for subject, rec in sorted(latest.items()):
        p = rec.provenance
        items: list[tuple[str, Any]] = [
            ("run id", rec.run_id), ("asked for", p.model), ("tested", rec.tested),
            ("model version", p.model_version), ("models by role", mapping(p.models) if p.models else "—"),
            ("sampling per arm", mapping(p.sampling) or "engine defaults"), ("seed", p.seed),
            ("parameters", mapping(rec.parameters)), ("rule version", rec.rule_version or "— (schema 1)"),
            ("budget", mapping(rec.budget) if rec.budget else "—"),
            ("stored samples", rec.samples or "— (not kept before schema 2)"),
            ("codegap commit", p.codegap_commit),
            ("packages", ", ".join(f"{k} {v}" for k, v in sorted(p.packages.items()))),
            ("model calls / cache hits", f"{p.model_calls} / {p.cache_hits}"),
            ("engine", p.engine or "inspect (recorded before the direct path)"
             if p.model_calls or p.cache_hits else "—"),
            ("duration", f"{p.duration_s:.0f} s" if p.duration_s is not None else "—"),
            ("interval methods", ", ".join(sorted({m.method for m in rec.metrics if m.method})) or "—"),
        ] + ([("reported by the analysis", mapping(rec.details))] if rec.details else [])
        if rec.rescored_from:
            items.insert(1, ("re-scored from", rec.rescored_from))
        lis = "".join(f"<li><b>{k}</b>: {v if isinstance(v, Md) else text(v)}</li>" for k, v in items)
        out.append(raw_html(f"<details><summary>{html_code(subject)}</summary><ul>{lis}</ul></details>"))
    out.append("### Verdict history\n")
    hist = [(f"{r.date:%Y-%m-%d %H:%M}", code(r.tested), _verdict_cell(exp, r, mine),
             code(r.rule_version or "schema 1"), text(r.run_id)) for r in mine]
    out.append("A ⚑ marks a subject whose verdicts disagree across runs decided under the same rule.\n\n"
               + table(["run date", "tested", "verdict", "rule", "run id"], hist))
    hdf = pd.DataFrame([{"model": r.tested, "date": r.date.isoformat(), "verdict": r.verdict, "run_id": r.run_id}
                        for r in mine])
    out.append(charts.html_block(charts.history_chart(hdf), f"{claim.id}: verdict of every run over time"))
    return "\n".join(out)


def latest_by_rule(claim: Claim, records: list[RunRecord]) -> tuple[dict[str, RunRecord], dict[str, RunRecord]]:
    """(current, earlier): per tested subject, the newest record decided under the claim's current
    rule, and, for subjects with none, the newest record decided under an earlier rule or design.

    Why: a verdict is only the current evidence when it was decided by the current rule; the old
    designs issue 9 replaced (and rules changed since) must not stand on the dashboard as today's
    verdict. The claim page shows earlier records with what the current rule makes of them.
    """
    latest = latest_per_model(records, claim.id)
    if not isinstance(claim.experiment, Experiment):
        return {}, latest
    current_version = rule_version(claim.experiment.verdict)
    current: dict[str, RunRecord] = {}
    for rec in records:  # oldest first
        if rec.claim == claim.id and rec.rule_version == current_version:
            current[rec.tested] = rec
    earlier = {s: r for s, r in latest.items() if s not in current}
    return current, earlier


def scale_frame(claims: list[Claim], records: list[RunRecord]) -> pd.DataFrame:
    """Per claim and embedded model of known size: `SCALE_METRIC` in the latest record decided under
    the current rule (metrics of earlier designs may mean something else)."""
    from codegap.models.spec import parse_model
    from codegap.models.weights import CATALOG

    rows = []
    for c in claims:
        if not isinstance(c.experiment, Experiment):
            continue
        key = c.experiment.verdict.all[0].metric
        for subject, rec in latest_by_rule(c, records)[0].items():
            try:
                spec = parse_model(subject)
            except Exception:  # a trained organism or a model pair: no size to place it at
                continue
            src = CATALOG.get(spec.alias or "") if spec.is_local else None
            if src is None or src.parameters_b is None:
                continue
            m = next((m for m in rec.metrics if m.name == key), None)
            if m is None:
                continue
            rows.append({"claim": c.id, "metric": key, "model": subject, "parameters_b": src.parameters_b,
                         "value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high, "verdict": rec.verdict})
    return pd.DataFrame(rows)
