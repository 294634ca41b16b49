"""The report notebook's helpers: the same analysis the runner used, shown for readers.

A claim's notebook (`notebooks/<claim-id>.ipynb`) is thin: a parameters cell
(its defaults are the claim's YAML parameters; a test checks they agree), then
calls into `Report`. Under `codegap run`, papermill passes `samples_path` and
the report reads the stored samples (no model calls). Run by hand with
`samples_path = ""`, it runs the check itself (sequentially, with the claim's
budget) and keeps the samples in memory; nothing is recorded.

Every text shown comes from data (claim YAML, samples, model replies) and is
escaped: model replies are untrusted input.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from codegap import experiments
from codegap.claims import Claim, Condition, VerdictRule, claim_by_id
from codegap.evaluation import Evaluation, evaluate, experiment_of
from codegap.paths import REPO
from codegap.samples import SampleRow, SamplesHeader, frame, read
from codegap.stats import METHODS
from codegap.verdicts import MEANING


def condition_sentence(c: Condition) -> str:
    """A rule condition in words, generated from the YAML (never typed beside it)."""
    side = "above" if c.op == ">" else "below"
    return f"{c.metric} has its whole interval {side} {c.threshold:g}: {c.why}"


def rule_sentences(rule: VerdictRule) -> str:
    """The rule as Markdown bullet points, premises first."""
    lines = []
    if rule.premises:
        lines.append("Premises (a clear failure gives *premise not met*):")
        lines += [f"- {condition_sentence(c)}" for c in rule.premises]
    lines.append("The claim *holds* when all of these are met, and *does not hold* when any clearly fails:")
    lines += [f"- {condition_sentence(c)}" for c in rule.all]
    lines.append(f"- fewer than {rule.min_n} units: *inconclusive*.")
    return "\n".join(lines)


def _method_text(method: str) -> str:
    kind, _, level = method.partition("@")
    return f"{METHODS.get(kind, kind)}, {level}" if level else METHODS.get(kind, kind)


@dataclass
class Report:
    claim: Claim
    model: str
    seed: int
    params: dict[str, Any]
    header: SamplesHeader | None
    rows: list[SampleRow]
    evaluation: Evaluation
    at_budget: bool = False
    notes: list[str] = field(default_factory=list)
    header_path: str = ""  # the samples file, as the notebook was given it

    @classmethod
    def load(cls, claim_id: str, *, model: str, seed: int, samples_path: str, params: dict[str, Any]) -> "Report":
        claim = claim_by_id(claim_id)
        exp = experiment_of(claim)
        check = experiments.get(claim_id)
        full = {**exp.parameters, **params}
        if samples_path:
            header, rows = read(REPO / samples_path if not Path(samples_path).is_absolute() else Path(samples_path))
            full = header.parameters
            notes = [f"Samples read from `{samples_path}` (no model calls in this notebook)."]
            at_budget = False
        else:
            from codegap.runner import sequential

            res = sequential(check, claim, model=model, seed=seed, params=full, max_units=None,
                             log_dir=REPO / "results" / "logs" / "by-hand")
            header, rows = None, res.rows
            at_budget = res.spent.stop != "decided"
            notes = [f"Run by hand: {res.spent.units} units, {res.spent.samples} replies, stop: {res.spent.stop}. "
                     "Nothing was recorded; `codegap run` records runs."]
        ev = evaluate(check, claim, rows, full, at_budget=at_budget)
        return cls(claim, model, seed, full, header, rows, ev, at_budget, notes, samples_path or "")

    # --- pieces the notebook displays ------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        return frame(self.rows)

    def summary(self) -> Any:
        from IPython.display import HTML

        t = self.table
        subject = self.header.subject if self.header else self.model
        units = t["unit"].nunique() if len(t) else 0
        text = (f"<p><b>Tested:</b> <code>{html.escape(subject)}</code> · seed {self.seed} · {units} units · "
                f"{len(t)} replies · {int(t['tokens_out'].sum()) if len(t) else 0} output tokens.</p>"
                f"<p>{html.escape(' '.join(self.notes))}</p>")
        return HTML(text)

    def rule(self) -> Any:
        from IPython.display import HTML

        rule = experiment_of(self.claim).verdict
        items = []
        if rule.premises:
            items.append("<p>Premises (a clear failure gives <i>premise not met</i>):</p><ul>"
                         + "".join(f"<li>{html.escape(condition_sentence(c))}</li>" for c in rule.premises) + "</ul>")
        items.append("<p>The claim <i>holds</i> when all of these are met, and <i>does not hold</i> when any "
                     "clearly fails:</p><ul>" + "".join(f"<li>{html.escape(condition_sentence(c))}</li>"
                                                      for c in rule.all)
                     + f"<li>fewer than {rule.min_n} units: <i>inconclusive</i>.</li></ul>")
        return HTML("".join(items))

    def examples(self, unit: int = 0) -> Any:
        """The prompts of one unit, one per arm (as sent), in a code block."""
        from IPython.display import HTML

        check = experiments.get(self.claim.id)
        parts = []
        for inst in check.unit(unit, self.seed, self.params):
            for req in check.requests(inst, self.params):
                text = "\n\n".join(f"[{role}] {msg}" for role, msg in req.messages())
                parts.append(f"<details><summary>{html.escape(inst.id)} · {html.escape(req.arm)} "
                             f"(budget {req.max_tokens} tokens)</summary><pre>{html.escape(text)}</pre></details>")
        return HTML("".join(parts))

    def descriptive(self) -> list[Any]:
        from IPython.display import HTML

        out = []
        for title, obj in experiments.get(self.claim.id).describe(self.table, self.params):
            out.append(HTML(f"<h4>{html.escape(title)}</h4>"))
            out.append(obj)
        return out

    def metrics(self) -> pd.DataFrame:
        rows = []
        for m in self.evaluation.metrics:
            rows.append({"metric": m.name, "value": round(m.value, 3),
                         "interval": f"[{m.ci_low:.3f}, {m.ci_high:.3f}]", "n": m.n, "unit": m.unit,
                         "interval method": _method_text(m.method), "what it is": m.note})
        return pd.DataFrame(rows)

    def verdict(self) -> Any:
        from IPython.display import HTML

        d = self.evaluation.decision
        subject = self.header.subject if self.header else self.model
        reasons = "".join(f"<li>{html.escape(r.explain())}</li>" for r in d.reasons)
        note = f"<p>{html.escape(d.note)}</p>" if d.note else ""
        return HTML(f"<p><b>Verdict for <code>{html.escape(subject)}</code>: {html.escape(d.verdict)}</b> "
                    f"({html.escape(MEANING[d.verdict])}).</p><ul>{reasons}</ul>{note}")

    def samples(self, limit: int = 300) -> Any:
        """The first `limit` replies as a filterable table (see `samples_table`)."""
        from IPython.display import HTML

        return HTML(samples_table(self.table, limit=limit, source=self.header_path))

    def chart(self, x: str, *, color: str = "arm", title: str = "") -> Any:
        """Accuracy against a difficulty column, one line per arm, with Wilson 95% bars (descriptive)."""
        import altair as alt

        from codegap.stats import wilson

        t = self.table
        rows = []
        for (xv, cv), g in t.groupby([x, color]):
            k, n = int(g["correct"].sum()), len(g)
            lo, hi = wilson(k, n)
            rows.append({x: xv, color: cv, "accuracy": k / n, "ci_low": lo, "ci_high": hi, "n": n})
        df = pd.DataFrame(rows)
        base = alt.Chart(df).encode(x=alt.X(f"{x}:O", title=x), color=alt.Color(f"{color}:N", title=color))
        line = base.mark_line(point=True).encode(y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1])),
                                                 tooltip=[x, color, "accuracy", "ci_low", "ci_high", "n"])
        bars = base.mark_errorbar().encode(y="ci_low:Q", y2="ci_high:Q")
        return (line + bars).properties(title=title or f"accuracy by {x}", width=380, height=220)


def samples_table(t: pd.DataFrame, *, limit: int = 300, source: str = "") -> str:
    """The first `limit` replies of a samples frame as a filterable HTML table (every field escaped).

    Why a cap and no `<pre>` per reply: the book theme measures every `<pre>` on load (to make
    wide ones scrollable), one layout each, so 2,000 of them kept a run page loading for a
    minute. Replies sit in a `div.cg-reply` (pre-wrapped by codegap.css) inside `<details>`;
    the filter box is wired by the book's `codegap.js` and hides the rows whose text lacks it.
    """
    cols = ["unit", "instance", "arm", "round", "epoch", "parsed", "correct", "unparseable", "truncated", "detail"]
    cols = [c for c in cols if c in t.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols + ["reply"])
    body = []
    for _, r in t.head(limit).iterrows():
        cells = "".join(f"<td>{html.escape(_cell(r[c]))}</td>" for c in cols)
        reply = html.escape(str(r["reply"]))
        body.append(f"<tr>{cells}<td><details><summary>{len(str(r['reply']))} chars</summary>"
                    f'<div class="cg-reply">{reply}</div></details></td></tr>')
    where = f" (all of them are in {html.escape(source)})" if source else ""
    more = f"<p>The first {limit} of {len(t)} replies{where}.</p>" if len(t) > limit else ""
    return (f'<div class="cg-samples"><input type="search" class="cg-filter" '
            f'placeholder="filter replies (e.g. an instance id, an arm, False)" aria-label="filter">'
            f'<table class="cg-samples-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            f"</tbody></table>{more}</div>")


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
