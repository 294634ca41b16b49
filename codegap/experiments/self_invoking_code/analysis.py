"""From graded replies to per-pair observations, and the descriptive tables of the report.

The unit of evidence is one pair (f, g) with its three replies. Per unit:
`base` (f alone correct), `self` (g correct when the model wrote f itself,
in the same reply), `supplied` (g correct on the reference f).

Which difference is the claim's. HumanEval Pro reports the drop from base
problems to self-invoking ones (o1-mini 96.2% -> 76.2%): `self_invoking_drop`
= base - self, paired per unit. That drop has three sources: g is a harder
problem, an error in f carries over into g, and the one the claim's title
names: the model fails to build on code it just wrote. The control arm tells
them apart. A model without that failure solves the self-invoking problem
whenever it can write f alone and can write g on a correct f, so per unit it
scores at least base * supplied (both 0/1); `composition_deficit` = base *
supplied - self is the share of pairs where the model could do both halves
separately but not together. It is zero for a model whose g is merely harder
(supplied fails too) and for one whose f errors carry over (base fails too),
and positive only for the claimed failure. The rule asks for both: the
published drop, and a drop that is not explained by harder g or wrong f.

`harder_problem_drop` (base - supplied) is reported beside them: how much
harder g is than f for this model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.stats import Observations, observations, paired_differences
from codegap.experiments.self_invoking_code.task import ARMS

UNIT = "pair"


def _get(value: Any, key: str) -> float:
    return float(bool(value.get(key))) if isinstance(value, dict) else 0.0


def per_unit(table: pd.DataFrame) -> pd.DataFrame:
    """One row per complete pair (all three arms answered), in unit order."""
    cols = ["unit", "family", "template", "base", "self", "supplied", "self_truncated", "own_f_correct",
            "calls_f", "self_unparseable"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    t = table.drop_duplicates(["unit", "arm"])
    complete = t.groupby("unit")["arm"].nunique()
    t = t[t["unit"].isin(complete[complete == len(ARMS)].index)]
    if t.empty:
        return pd.DataFrame(columns=cols)

    def arm(name: str) -> pd.DataFrame:
        return t[t["arm"] == name].set_index("unit").sort_index()

    base, own, sup = arm("base"), arm("self_invoking"), arm("supplied")
    return pd.DataFrame({
        "unit": base.index.astype(int),
        "family": base["family"].to_numpy() if "family" in base else "",
        "template": base["template"].to_numpy() if "template" in base else "",
        "base": base["correct"].astype(float).to_numpy(),
        "self": own["correct"].astype(float).to_numpy(),
        "supplied": sup["correct"].astype(float).to_numpy(),
        "self_truncated": own["truncated"].astype(float).to_numpy(),
        "own_f_correct": own["parsed"].map(lambda v: _get(v, "own_f_correct")).to_numpy(),
        "calls_f": own["parsed"].map(lambda v: _get(v, "calls_f")).to_numpy(),
        "self_unparseable": own["unparseable"].astype(float).to_numpy(),
    })


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    u = per_unit(table)
    base, own, sup = u["base"].tolist(), u["self"].tolist(), u["supplied"].tolist()
    both = [b * s for b, s in zip(base, sup)]
    return [
        observations("base_accuracy", base, unit=UNIT, note="f alone: share of pairs whose f passes f's suite"),
        observations("supplied_accuracy", sup, unit=UNIT,
                     note="g with the reference f supplied: share passing g's suite"),
        observations("self_invoking_accuracy", own, unit=UNIT,
                     note="f and g in one reply: share whose g passes g's suite on the model's own f"),
        observations("self_truncation", u["self_truncated"].tolist(), unit=UNIT,
                     note="share of self-invoking replies cut off by the token budget"),
        paired_differences("self_invoking_drop", base, own, unit=UNIT,
                           note="base accuracy minus self-invoking accuracy, same pairs"),
        paired_differences("composition_deficit", both, own, unit=UNIT,
                           note="share solving f alone and g on a supplied f, minus self-invoking accuracy"),
        paired_differences("harder_problem_drop", base, sup, unit=UNIT,
                           note="base accuracy minus accuracy on g with f supplied (how much harder g is)"),
    ]


def outcome_table(table: pd.DataFrame) -> pd.DataFrame:
    """The eight base/supplied/self outcome patterns and how often each occurred (descriptive)."""
    u = per_unit(table)
    if u.empty:
        return pd.DataFrame(columns=["f alone", "g on supplied f", "f and g together", "pairs"])
    g = u.groupby(["base", "supplied", "self"]).size().reset_index(name="pairs")
    g.columns = ["f alone", "g on supplied f", "f and g together", "pairs"]
    for c in ("f alone", "g on supplied f", "f and g together"):
        g[c] = g[c].map({1.0: "right", 0.0: "wrong"})
    return g


def self_failure_table(table: pd.DataFrame) -> pd.DataFrame:
    """Why self-invoking replies failed: unreadable, own f wrong, or g wrong on a correct own f."""
    u = per_unit(table)
    fail = u[u["self"] == 0] if not u.empty else u
    rows = {"no readable g": int(fail["self_unparseable"].sum()) if not fail.empty else 0}
    readable = fail[fail["self_unparseable"] == 0] if not fail.empty else fail
    rows["own f wrong (or missing)"] = int((readable["own_f_correct"] == 0).sum()) if not readable.empty else 0
    rows["own f right, g wrong"] = int((readable["own_f_correct"] == 1).sum()) if not readable.empty else 0
    return pd.DataFrame([{"why the self-invoking reply failed": k, "pairs": v} for k, v in rows.items()])


def template_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy of each arm per composition template (descriptive)."""
    u = per_unit(table)
    if u.empty:
        return pd.DataFrame(columns=["template", "pairs", "base", "supplied", "self"])
    g = u.groupby("template")
    return pd.DataFrame({"pairs": g.size(), "base": g["base"].mean().round(3),
                         "supplied": g["supplied"].mean().round(3), "self": g["self"].mean().round(3)}).reset_index()


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    u = per_unit(table)
    out: dict[str, Any] = {"pairs": len(u)}
    if not u.empty:
        out["accuracy"] = {k: round(float(u[k].mean()), 4) for k in ("base", "supplied", "self")}
        readable = u[u["self_unparseable"] == 0]
        out["self_g_calls_f_share"] = round(float(readable["calls_f"].mean()), 4) if len(readable) else None
        out["self_own_f_correct_share"] = round(float(readable["own_f_correct"].mean()), 4) if len(readable) else None
    if len(table):
        out["unparseable_share_by_arm"] = {a: round(float(g["unparseable"].mean()), 4)
                                           for a, g in table.groupby("arm")}
        out["truncated_share_by_arm"] = {a: round(float(g["truncated"].mean()), 4) for a, g in table.groupby("arm")}
    return out
