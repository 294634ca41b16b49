"""Generated parts of the methods page (the prose lives in book/methods.md)."""

from __future__ import annotations

from codegap.book.markdown import code, table, text
from codegap.claims import Claim, Experiment


def verdict_rules(claims: list[Claim]) -> str:
    """Every live check's verdict rule, straight from the YAML records."""
    rows = []
    for c in claims:
        if not isinstance(c.experiment, Experiment):
            continue
        conds = "; ".join(f"{code(x.metric)} {text(x.op)} {x.threshold:g}" for x in c.experiment.verdict.all)
        rows.append([f"{{ref}}`{c.id} <claim-{c.id}>`", code(c.experiment.notebook), conds,
                     str(c.experiment.verdict.min_n)])
    return table(["claim", "notebook", "holds when (all, whole 95% interval)", "min n"], rows)
