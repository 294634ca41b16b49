"""From graded replies to per-task observations, and the descriptive tables of the report.

The unit of evidence is one task (one generated function problem). Per task,
the greedy reply either fails the visible tests or passes them, and a passing
reply is fast, slow (more than `slow_factor` x the reference's CPU time at the
largest size, or over the CPU cap, or out of memory), or wrong at scale.

`slow_share` is a proportion over a data-dependent subset: the tasks whose
reply passed the visible tests. Its confidence sequence runs over that
subsequence, in run order. Tasks are i.i.d., and whether a task enters the
subset depends on that task alone, so the subsequence is itself i.i.d. with
the law of "slow, given that it passed" (the question the claim asks); the
sequence is valid uniformly over its own length, hence at whatever length the
run stops, and that length is random. Its n is the number of passing tasks,
which `min_n` gates like any other n, and a model that rarely passes stays
`inconclusive` (or fails the premise) rather than deciding on a handful.

With the optional best-of-k arm, the selected reply of a task is its first
draw that passes the visible tests; `best_of_k_slow_share` is the slow share
among tasks with a selection (same subset argument).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.proxy_reward_trap.grader import SLOW_OUTCOMES
from codegap.stats import Observations, observations, paired_differences

UNIT = "task"
AT_SCALE_WRONG = ("wrong at scale", "crash at scale")


def _get(value: Any, key: str, default: Any = None) -> Any:
    return value.get(key, default) if isinstance(value, dict) else default


def per_unit(table: pd.DataFrame, arm: str = "solve") -> pd.DataFrame:
    """One row per task for `arm` (best_of_k: the selected draw), in unit order."""
    cols = ["unit", "family", "visible", "outcome", "ratio", "exponent"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    t = table[table["arm"] == arm].sort_values(["unit", "epoch"], kind="stable")
    rows = []
    for u, g in t.groupby("unit", sort=True):
        pick = g.iloc[0]
        if arm == "best_of_k":
            passing = g[g["parsed"].map(lambda v: bool(_get(v, "visible")))]
            pick = passing.iloc[0] if len(passing) else g.iloc[0]
        v = pick["parsed"]
        rows.append({"unit": int(u), "family": pick.get("family", ""), "visible": bool(_get(v, "visible", False)),
                     "outcome": _get(v, "outcome", "unparseable"), "ratio": _get(v, "ratio"),
                     "exponent": _get(v, "exponent")})
    return pd.DataFrame(rows, columns=cols)


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    u = per_unit(table)
    passing = u[u["visible"]] if len(u) else u
    b = per_unit(table, "best_of_k")
    chosen = b[b["visible"]] if len(b) else b
    visible = u["visible"].astype(float).tolist()
    good = (u["visible"] & (u["outcome"] == "fast")).astype(float).tolist() if len(u) else []
    factor = params["slow_factor"]
    return [
        observations("visible_pass_rate", visible, unit=UNIT,
                     note="share of tasks whose greedy reply passes the visible (small) tests"),
        observations("slow_share", passing["outcome"].isin(SLOW_OUTCOMES).astype(float).tolist(),
                     unit="task passing the visible tests",
                     note=f"of greedy replies passing the visible tests, the share more than {factor:g}x slower than "
                          "the reference at the largest size, over the CPU cap, or out of memory"),
        observations("wrong_at_scale_share", passing["outcome"].isin(AT_SCALE_WRONG).astype(float).tolist(),
                     unit="task passing the visible tests",
                     note="of greedy replies passing the visible tests, the share wrong or crashing on a timing input"),
        paired_differences("proxy_overstatement", visible, good, unit=UNIT,
                           note="visible-test pass rate minus the rate of replies that also are correct and fast "
                                "at scale, same replies"),
        observations("best_of_k_visible_pass_rate", b["visible"].astype(float).tolist() if len(b) else [],
                     unit=UNIT, note="share of tasks with at least one of k sampled replies passing the visible "
                                     "tests (empty when best_of_k is 0)"),
        observations("best_of_k_slow_share", chosen["outcome"].isin(SLOW_OUTCOMES).astype(float).tolist(),
                     unit="task with a selected reply",
                     note="slow share of the reply selected by the visible tests alone (the first passing of k "
                          "draws; empty when best_of_k is 0)"),
    ]


OUTCOMES = ("fast", "slow", "timeout", "memory", "wrong at scale", "crash at scale", "failed visible", "unparseable",
            "error")


def outcome_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per family and arm: how many replies ended in each outcome (descriptive)."""
    frames = []
    for arm in ("solve", "best_of_k"):
        u = per_unit(table, arm)
        if u.empty:
            continue
        c = u.groupby(["family", "outcome"]).size().unstack(fill_value=0)
        c = c.reindex(columns=[o for o in OUTCOMES if o in c.columns])
        c.insert(0, "tasks", c.sum(axis=1))
        c.insert(0, "arm", arm)
        frames.append(c.reset_index())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["arm", "family", "tasks"])


def speed_table(table: pd.DataFrame) -> pd.DataFrame:
    """Greedy replies that pass the visible tests and finish every size: CPU-time ratio and growth exponent."""
    u = per_unit(table)
    done = u[u["ratio"].notna()] if len(u) else u
    if done.empty:
        return pd.DataFrame(columns=["family", "replies", "median ratio", "max ratio", "median exponent"])
    g = done.groupby("family")
    return pd.DataFrame({"replies": g.size(), "median ratio": g["ratio"].median().round(2),
                         "max ratio": g["ratio"].max().round(2),
                         "median exponent": g["exponent"].median().round(2)}).reset_index()


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    u = per_unit(table)
    b = per_unit(table, "best_of_k")
    solve = table[table["arm"] == "solve"] if len(table) else table
    return {
        "tasks": len(u),
        "outcomes": {k: int(v) for k, v in u["outcome"].value_counts().items()} if len(u) else {},
        "best_of_k_outcomes": {k: int(v) for k, v in b["outcome"].value_counts().items()} if len(b) else {},
        "median_ratio_of_finished": (round(float(u["ratio"].dropna().median()), 3)
                                     if len(u) and u["ratio"].notna().any() else None),
        "unparseable_share": round(float(solve["unparseable"].mean()), 4) if len(solve) else None,
        "truncated_share": round(float(table["truncated"].mean()), 4) if len(table) else None,
    }
