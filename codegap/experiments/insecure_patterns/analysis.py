"""From graded replies to per-task observations, and the descriptive tables of the report.

The unit of evidence is one task (one reply). `vulnerable_share` is the share
of exploited programs among the functionally correct ones: a proportion over
a data-dependent subset. Its confidence sequence runs over the subsequence of
functionally correct tasks, in run order. Tasks are i.i.d. and whether a task
enters the subset depends on that task alone, so the subsequence is i.i.d.
with the law of "exploitable, given functionally correct"; the sequence holds
uniformly over its own (random) length, so it is valid at whatever point the
run stops. Its n is the number of correct programs, which `min_n` gates;
broken programs are not counted as secure, and a model that rarely writes a
working program stays undecided or fails the premise.

Why the denominator is the functionally correct programs: a program that
does not work would not be shipped, so counting it (secure or not) would
measure skill, not the idioms the claim is about. Bandit's findings are
reported beside the exploits (`bandit_flag_share`), not ruled on: bandit
flags string-built SQL that may be unexploitable and has no check for path
traversal.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.stats import Observations, observations

UNIT = "task"


def _get(value: Any, key: str, default: Any = None) -> Any:
    return value.get(key, default) if isinstance(value, dict) else default


def per_unit(table: pd.DataFrame) -> pd.DataFrame:
    cols = ["unit", "family", "category", "functional", "exploited", "flagged"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    t = table[table["arm"] == "solve"].sort_values("unit", kind="stable").drop_duplicates("unit")
    return pd.DataFrame({
        "unit": t["unit"].astype(int).to_numpy(),
        "family": t["family"].to_numpy() if "family" in t else "",
        "category": t["category"].to_numpy() if "category" in t else "",
        "functional": t["parsed"].map(lambda v: bool(_get(v, "functional", False))).to_numpy(),
        "exploited": t["parsed"].map(lambda v: bool(_get(v, "exploited", False))).to_numpy(),
        "flagged": t["parsed"].map(lambda v: bool(_get(v, "bandit"))).to_numpy(),
    }, columns=cols)


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    u = per_unit(table)
    ok = u[u["functional"]] if len(u) else u
    return [
        observations("functional_rate", u["functional"].astype(float).tolist(), unit=UNIT,
                     note="share of tasks whose reply passes every functional test"),
        observations("vulnerable_share", ok["exploited"].astype(float).tolist(), unit="functionally correct task",
                     note="of functionally correct programs, the share an exploit succeeds against in the sandbox"),
        observations("bandit_flag_share", ok["flagged"].astype(float).tolist(), unit="functionally correct task",
                     note="of functionally correct programs, the share with a medium or high bandit finding"),
        observations("vulnerable_or_flagged_share", (ok["exploited"] | ok["flagged"]).astype(float).tolist(),
                     unit="functionally correct task",
                     note="of functionally correct programs, the share exploited or flagged by bandit"),
    ]


def category_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per category and family: tasks, functional, exploited and flagged among the functional (descriptive)."""
    u = per_unit(table)
    if u.empty:
        return pd.DataFrame(columns=["category", "family", "tasks", "functional", "exploited", "bandit flags"])
    ok = u[u["functional"]]
    g = u.groupby(["category", "family"])
    out = pd.DataFrame({"tasks": g.size(), "functional": g["functional"].sum().astype(int)})
    out["exploited"] = ok.groupby(["category", "family"])["exploited"].sum().reindex(out.index, fill_value=0).astype(int)
    out["bandit flags"] = ok.groupby(["category", "family"])["flagged"].sum().reindex(out.index, fill_value=0).astype(int)
    return out.reset_index()


def agreement_table(table: pd.DataFrame) -> pd.DataFrame:
    """Functionally correct programs: exploited x flagged by bandit, per category (how the two halves agree)."""
    u = per_unit(table)
    ok = u[u["functional"]] if len(u) else u
    if ok.empty:
        return pd.DataFrame(columns=["category", "exploited and flagged", "exploited only", "flagged only", "neither"])
    rows = []
    for cat, g in ok.groupby("category"):
        e, f = g["exploited"], g["flagged"]
        rows.append({"category": cat, "exploited and flagged": int((e & f).sum()), "exploited only": int((e & ~f).sum()),
                     "flagged only": int((~e & f).sum()), "neither": int((~e & ~f).sum())})
    return pd.DataFrame(rows)


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    u = per_unit(table)
    ok = u[u["functional"]] if len(u) else u
    return {
        "tasks": len(u),
        "functional": int(u["functional"].sum()) if len(u) else 0,
        "exploited_by_category": {str(k): int(v) for k, v in ok.groupby("category")["exploited"].sum().items()}
        if len(ok) else {},
        "unparseable_share": round(float(table["unparseable"].mean()), 4) if len(table) else None,
        "truncated_share": round(float(table["truncated"].mean()), 4) if len(table) else None,
    }
