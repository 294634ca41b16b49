"""From graded turns to per-task observations, and the descriptive tables of the report.

The unit of evidence is one task (a generation index), asked in all three
arms, so every comparison is paired within a task. SHARDED is scored by its
last turn (the answer after every requirement was said); earlier turns are
graded and shown, never scored.

`lock_in_share` is a share among failures: of the tasks whose SHARDED answer
is wrong, those whose first answer sorted smallest first (the assumption the
intent invites) and whose final answer still does. Its confidence sequence
runs over the failing tasks only, in run order. That subset depends on the
data, but each task enters it on its own outcome alone and tasks are
independent and identically distributed, so the failing tasks are an i.i.d.
sequence from the failures' distribution and the sequence stays anytime-valid
for the share; its n is the number of failures, not of tasks. It is a logged
number, not part of the rule (a model that never fails has no such share).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap import stats
from codegap.stats import Observations, observations, paired_differences

ARMS = ("full", "concat", "sharded")


def _complete(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of tasks whose three arms were all answered (SHARDED: every turn)."""
    if table.empty:
        return table
    ok = []
    for u, g in table.groupby("unit"):
        turns = g[g["arm"] == "sharded"]["round"]
        if {"full", "concat"} <= set(g["arm"]) and len(turns) and turns.nunique() == int(g["n_shards"].iloc[0]):
            ok.append(u)
    return table[table["unit"].isin(ok)]


def finals(table: pd.DataFrame) -> pd.DataFrame:
    """One row per task and arm: the scored reply (SHARDED: its last turn), in unit order."""
    t = _complete(table)
    if t.empty:
        return t
    last = t.groupby(["unit", "arm"])["round"].transform("max")
    return t[t["round"] == last].sort_values(["unit", "arm"])


def _order(parsed: Any) -> str:
    return parsed.get("order", "none") if isinstance(parsed, dict) else "none"


def lock_in(table: pd.DataFrame) -> list[tuple[int, bool]]:
    """(unit, kept its first-turn assumption) for every task whose SHARDED answer is wrong, in unit order."""
    t = _complete(table)
    out = []
    for u, g in t[t["arm"] == "sharded"].groupby("unit", sort=True):
        g = g.sort_values("round")
        last = g.iloc[-1]
        if bool(last["correct"]):
            continue
        first = _order(g.iloc[0]["parsed"])
        out.append((int(u), first == "ascending" and _order(last["parsed"]) == "ascending"))
    return out


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    f = finals(table)
    units = sorted(f["unit"].unique()) if len(f) else []

    def acc(arm: str) -> list[float]:
        s = f[f["arm"] == arm].set_index("unit")["correct"] if len(f) else pd.Series(dtype=float)
        return [float(s.get(u, 0.0)) for u in units]

    t = _complete(table)
    trunc = t.groupby("unit")["truncated"].mean() if len(t) else pd.Series(dtype=float)
    full, concat, sharded = acc("full"), acc("concat"), acc("sharded")
    return [
        observations("full_accuracy", full, unit="task", note="the original one-sentence statement, one turn"),
        observations("concat_accuracy", concat, unit="task", note="all requirements at once as a list, one turn"),
        observations("sharded_accuracy", sharded, unit="task",
                     note="requirements one per turn; the last turn's function is scored"),
        observations("truncation", [float(trunc.get(u, 0.0)) for u in units], unit="task",
                     note="share of a task's replies (all arms, all turns) cut off by the token budget"),
        paired_differences("concat_minus_sharded", concat, sharded, unit="task",
                           note="same requirements, same words: all at once minus one per turn"),
        paired_differences("full_minus_concat", full, concat, unit="task",
                           note="the cost of the list rewording alone (the paper finds it small)"),
        observations("lock_in_share", [float(kept) for _, kept in lock_in(table)], unit="failed SHARDED task",
                     note="of wrong SHARDED answers: the first answer sorted smallest first and the last still does"),
    ]


def accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per arm (Wilson 95%, descriptive), with unparseable and truncated counts."""
    f = finals(table)
    rows = []
    for arm in ARMS:
        g = f[f["arm"] == arm] if len(f) else f
        k, n = int(g["correct"].sum()) if len(g) else 0, len(g)
        lo, hi = stats.wilson(k, n)
        rows.append({"arm": arm, "accuracy": k / n if n else None, "ci_low": lo, "ci_high": hi, "n": n,
                     "unparseable": int(g["unparseable"].sum()) if n else 0,
                     "truncated": int(g["truncated"].sum()) if n else 0})
    return pd.DataFrame(rows)


def turn_table(table: pd.DataFrame) -> pd.DataFrame:
    """SHARDED, turn by turn: share correct on the whole task, share that kept up with what was said so far,
    and the direction its lists came in."""
    t = _complete(table)
    s = t[t["arm"] == "sharded"] if len(t) else t
    rows = []
    for rnd, g in s.groupby("round", sort=True):
        orders = g["parsed"].map(_order)
        so_far = g["parsed"].map(lambda p: bool(p.get("so_far")) if isinstance(p, dict) else False)
        rows.append({"turn": int(rnd) + 1, "n": len(g), "correct": float(g["correct"].mean()),
                     "kept up so far": float(so_far.mean()), "unparseable": int(g["unparseable"].sum()),
                     **{f"sorts {o}": int((orders == o).sum()) for o in ("ascending", "descending", "unsorted")}})
    return pd.DataFrame(rows)


def order_turn_table(table: pd.DataFrame) -> pd.DataFrame:
    """SHARDED accuracy by the turn in which the direction was said (early vs late contradiction)."""
    f = finals(table)
    s = f[f["arm"] == "sharded"] if len(f) else f
    rows = []
    for turn, g in s.groupby("order_turn", sort=True):
        k, n = int(g["correct"].sum()), len(g)
        lo, hi = stats.wilson(k, n)
        rows.append({"direction said in turn": int(turn) + 1, "n": n, "sharded accuracy": k / n,
                     "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    f = finals(table)
    t = _complete(table)
    s = t[t["arm"] == "sharded"] if len(t) else t
    first = s[s["round"] == 0]["parsed"].map(_order).value_counts().to_dict() if len(s) else {}
    kept = lock_in(table)
    return {
        "accuracy": {arm: round(float(f[f["arm"] == arm]["correct"].mean()), 4) for arm in ARMS
                     if len(f) and (f["arm"] == arm).any()},
        "first_turn_order": {str(k): int(v) for k, v in first.items()},
        "sharded_failures": len(kept),
        "sharded_failures_keeping_first_assumption": sum(k for _, k in kept),
        "unparseable_share": round(float(t["unparseable"].mean()), 4) if len(t) else None,
        "truncated_share": round(float(t["truncated"].mean()), 4) if len(t) else None,
    }
