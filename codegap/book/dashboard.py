"""The dashboard: claims x models verdict matrix, per-claim summary, and timeline."""

from __future__ import annotations

from collections import Counter
from typing import Mapping

import pandas as pd

from codegap.book import charts
from codegap.book.markdown import badge, code, doc_link, table, text
from codegap.claims import Claim
from codegap.provenance import flags
from codegap.results import RunRecord, verdict_flips


EARLIER = "earlier rule"


def verdict_summary(claim: Claim, records: list[RunRecord]) -> str:
    """'holds on 2 models; does not hold on 1' from the latest run of each model."""
    if not claim.has_experiment:
        return "no live check"
    from codegap.book.live_check import latest_by_rule

    current, earlier = latest_by_rule(claim, records)
    if not current and not earlier:
        return "not run yet"
    counts = Counter(r.verdict for r in current.values())
    parts = [f"{v} on {n} model{'s' if n > 1 else ''}" for v, n in sorted(counts.items())]
    if earlier:
        parts.append(f"{len(earlier)} model{'s' if len(earlier) > 1 else ''} run only under an earlier rule")
    return "; ".join(parts)


def render(claims: list[Claim], records: list[RunRecord], literature_flags: Mapping[str, str]) -> str:
    live = [c for c in claims if c.has_experiment]
    models = sorted({r.tested for r in records if any(r.claim == c.id for c in live)})
    out = [
        "# Dashboard\n",
        "Every cell and row below is generated from `claims/*.yaml`, the result records in "
        "`results/records/` and the literature snapshot in `literature/`. A verdict is the latest "
        "run of that model; see {doc}`../methods` for how verdicts and flags are decided.\n",
        "## Live checks: claims × tested subjects\n",
        "Each cell is the latest run's verdict under the claim's current rule: *holds*, *does not hold*, "
        "*inconclusive* (undecided, or the budget was spent undecided) or *premise not met* (a manipulation "
        "check failed, so the run says nothing about the claim). *earlier rule*: that subject was only run "
        "under an earlier rule or design; its claim page shows that verdict and what the current rule makes "
        "of it. A subject is a model string, or what a check trained itself.\n",
    ]
    from codegap.book.live_check import SCALE_METRIC, latest_by_rule, scale_frame

    by_rule = {c.id: latest_by_rule(c, records) for c in live}

    def state(cid: str, m: str) -> str:
        current, earlier = by_rule[cid]
        return current[m].verdict if m in current else EARLIER if m in earlier else "not run"

    cells = [{"claim": c.id, "model": m, "verdict": state(c.id, m)} for c in live for m in models]
    if cells:
        out.append(charts.html_block(charts.matrix_chart(pd.DataFrame(cells)),
                                     "verdict of the latest run per claim and model"))
        rows = []
        for c in live:
            current, earlier = by_rule[c.id]
            row = [f"{{ref}}`{c.id} <claim-{c.id}>`"]
            for m in models:
                if m in current:
                    row.append(badge(current[m].verdict, flipped=verdict_flips(records, c.id, m)))
                elif m in earlier:
                    row.append(badge(EARLIER, f"{earlier[m].verdict} (earlier rule)"))
                else:
                    row.append("not run")
            rows.append(row)
        out.append(table(["claim", *[code(m) for m in models]], rows))
    else:
        out.append("No live check has been run on any model yet.\n")
    scale = scale_frame(live, records)
    if not scale.empty and scale["parameters_b"].nunique() > 1:
        out.append("## Across model size\n")
        out.append(f"Per claim, {SCALE_METRIC}, with its interval, on each embedded model of known size "
                   "(latest run). Colour is that run's verdict.\n")
        out.append(charts.html_block(charts.scale_chart(scale), "key metric against model size, per claim"))
    out.append("## Every claim at a glance\n")
    rows = []
    for c in claims:
        rows.append([
            doc_link(c.title, f"claims/{c.id}.md"),
            text(c.sources[0].date_given),
            text(verdict_summary(c, records)),
            text(literature_flags.get(c.id, "nothing fetched yet")),
            str(len(flags(c))) if flags(c) else "—",
        ])
    out.append(table(["claim", "dated", "live checks", "newer literature", "provenance flags"], rows))
    out.append("## Timeline\n")
    tl = []
    for c in claims:
        tl.append({"claim": c.id, "date": c.claim_date.isoformat(), "kind": "claim date (source note)",
                   "label": c.sources[0].date_given})
        for a in c.anchors:
            tl.append({"claim": c.id, "date": a.date.isoformat(), "kind": "primary source",
                       "label": a.title})
    out.append(charts.html_block(charts.timeline_chart(pd.DataFrame(tl)),
                                 "claim dates given by the source notes, and dates of their primary sources"))
    return "\n".join(out)
