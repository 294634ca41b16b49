"""From graded replies to per-unit observations, and the report's descriptive tables.

The unit of evidence is the generation index: unit i holds one puzzle per
level (fewest backtracks first), each answered in the three arms. A per-unit
difference between the fewest and the most backtracks compares two
independent puzzles with the same index, an i.i.d. sequence whose mean is the
drop in solve rate; arm differences at the hardest level are paired on the
same puzzle.

The retry arm's outcome for a puzzle is whether any attempt solved it (it
stops at the first right one). Only complete units (every arm of every level
answered) count, so a batch cut short never biases a level.

What the rule reads (claims/backtracking-limit.yaml): premises that the
model is not at the floor on the easiest puzzles, that its reasoning is
rarely cut off, and that its solver-arm programs run; then a drop in one-pass
solve rate with the amount of backtracking needed, and the solver arm beating
one pass on the hardest puzzles. The rest is reported: the retry arm's gain
(the checker supplies retraction, the model still searches), the solver arm's
own drop (formalising should not get harder with search depth: the prose has
the same size), and how wrong one-pass answers are wrong (dead ends of a
committed prefix, or avoidable slips).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap import stats
from codegap.experiments.backtracking_limit.grader import AVOIDABLE, DEAD_END, engaged
from codegap.stats import Observations, observations, paired_differences


def _levels(params: dict[str, Any]) -> tuple[int, int]:
    return 0, len(params["levels"]) - 1


def outcomes(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (unit, instance, level, arm): solved, truncated (any round), engaged, detail, rounds."""
    if table.empty:
        return pd.DataFrame(columns=["unit", "instance", "level", "arm", "correct", "truncated", "engaged",
                                     "detail", "unparseable", "rounds"])
    t = table.sort_values(["unit", "instance", "arm", "round"])
    rows = []
    for (unit, inst, arm), g in t.groupby(["unit", "instance", "arm"], sort=False):
        first = g.iloc[0]
        last = g.iloc[-1]
        rows.append({"unit": int(unit), "instance": inst, "level": int(first["level"]), "arm": arm,
                     "correct": bool(g["correct"].any()), "truncated": bool(g["truncated"].any()),
                     "first_truncated": bool(first["truncated"]),
                     "engaged": engaged(first["detail"], bool(first["unparseable"])),
                     "detail": str(last["detail"] or ""), "unparseable": bool(last["unparseable"]),
                     "rounds": len(g)})
    return pd.DataFrame(rows)


def _complete_units(out: pd.DataFrame, n_levels: int) -> list[int]:
    counts = out.groupby("unit").size()
    return sorted(int(u) for u, c in counts.items() if c >= 3 * n_levels)


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    lo, hi = _levels(params)
    out = outcomes(table)
    units = _complete_units(out, hi + 1) if len(out) else []
    out = out[out["unit"].isin(units)] if len(out) else out

    def series(arm: str, level: int, col: str = "correct") -> list[float]:
        if not units:
            return []
        s = out[(out["arm"] == arm) & (out["level"] == level)].set_index("unit")[col]
        return [float(s.get(u, 0.0)) for u in units]

    def per_unit_mean(arm: str, col: str) -> list[float]:
        if not units:
            return []
        s = out[out["arm"] == arm].groupby("unit")[col].mean()
        return [float(s.get(u, 0.0)) for u in units]

    op_lo, op_hi = series("one_pass", lo), series("one_pass", hi)
    sv_lo, sv_hi = series("solver", lo), series("solver", hi)
    rt_hi = series("retry", hi)
    wrong = out[(out["arm"] == "one_pass") & (out["level"] == hi) & (~out["correct"])
                & (out["detail"].str.startswith(DEAD_END) | out["detail"].str.startswith(AVOIDABLE))] \
        if len(out) else out
    dead = [float(d.startswith(DEAD_END)) for d in wrong.sort_values("unit")["detail"]] if len(wrong) else []
    return [
        observations("one_pass_fewest", op_lo,
                     note="one-pass solve rate on the puzzles that need the fewest backtracks"),
        observations("one_pass_truncation", per_unit_mean("one_pass", "truncated"),
                     note="share of one-pass replies per unit cut off by the reasoning budget"),
        observations("solver_engaged", per_unit_mean("solver", "engaged"),
                     note="share of solver-arm programs per unit that ran to completion in the sandbox"),
        paired_differences("one_pass_drop", op_lo, op_hi, unit="puzzle pair",
                           note="one-pass solve rate at the fewest backtracks minus at the most"),
        paired_differences("solver_minus_one_pass_hardest", sv_hi, op_hi, unit="puzzle",
                           note="solver-arm minus one-pass solve rate, same puzzles, most backtracks"),
        paired_differences("retry_minus_one_pass_hardest", rt_hi, op_hi, unit="puzzle",
                           note="propose-check-retry minus one-pass solve rate, same puzzles, most backtracks"),
        paired_differences("solver_drop", sv_lo, sv_hi, unit="puzzle pair",
                           note="solver-arm solve rate at the fewest backtracks minus at the most"),
        observations("wrong_dead_end_share", dead, unit="wrong one-pass answer",
                     note="of wrong complete one-pass schedules at the most backtracks, the share whose "
                          "first conflict is a dead end of a consistent prefix"),
    ]


def accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """Solve rate (Wilson 95%), n, mean backtracks, chance rate and the non-retracting assigner's rate, per arm and level."""
    out = outcomes(table)
    if out.empty:
        return pd.DataFrame()
    meta = table.groupby("instance")[["backtracks", "chance", "walk_success"]].first()
    out = out.join(meta, on="instance")
    rows = []
    for (arm, level), g in out.groupby(["arm", "level"], sort=True):
        k, n = int(g["correct"].sum()), len(g)
        lo_ci, hi_ci = stats.wilson(k, n)
        rows.append({"arm": arm, "level": int(level), "backtracks (mean)": round(float(g["backtracks"].mean()), 1),
                     "solve rate": k / n, "ci_low": lo_ci, "ci_high": hi_ci, "n": n,
                     "random schedule (chance)": float(g["chance"].mean()),
                     "assigner that never retracts": float(g["walk_success"].mean()),
                     "unparseable": int(g["unparseable"].sum()), "truncated": int(g["truncated"].sum())})
    return pd.DataFrame(rows)


def wrong_answer_table(table: pd.DataFrame) -> pd.DataFrame:
    """How final answers are wrong, per arm and level: dead end / avoidable / incomplete / no schedule / program failed."""
    out = outcomes(table)
    wrong = out[~out["correct"]].copy() if len(out) else out
    if wrong.empty:
        return pd.DataFrame(columns=["arm", "level"])
    wrong["kind of error"] = wrong["detail"].str.split(r"[:;]| at ", n=1, regex=True).str[0].str.strip()
    return wrong.groupby(["arm", "level", "kind of error"]).size().unstack(fill_value=0).reset_index()


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    if table.empty:
        return {}
    out = outcomes(table)
    meta = table.groupby("instance")[["level", "backtracks", "chance", "walk_success", "solutions"]].first()
    by_level = meta.groupby("level")
    first = table[table["round"] == 0]
    text = first[first["arm"].isin(["one_pass", "retry"])]
    revised = [bool(v.get("revises")) for v in text["parsed"] if isinstance(v, dict)]
    retry = out[out["arm"] == "retry"]
    return {
        "solve_rate": {f"{a}@L{int(lv)}": round(float(g["correct"].mean()), 4)
                       for (a, lv), g in out.groupby(["arm", "level"])},
        "backtracks_mean_by_level": {int(k): round(float(v), 2) for k, v in by_level["backtracks"].mean().items()},
        "chance_rate_by_level": {int(k): float(v) for k, v in by_level["chance"].mean().items()},
        "chance_rate_max": float(meta["chance"].max()),
        "never_retracting_assigner_by_level": {int(k): round(float(v), 4)
                                               for k, v in by_level["walk_success"].mean().items()},
        "solutions_median_by_level": {int(k): float(v) for k, v in by_level["solutions"].median().items()},
        "truncated_share": {a: round(float(g["truncated"].mean()), 4) for a, g in table.groupby("arm")},
        "unparseable_share": {a: round(float(g["unparseable"].mean()), 4) for a, g in table.groupby("arm")},
        "reasoning_revises_share": round(sum(revised) / len(revised), 4) if revised else None,
        "retry_rounds_mean": round(float(retry["rounds"].mean()), 3) if len(retry) else None,
    }


def solve_rate_chart(table: pd.DataFrame) -> Any:
    """Solve rate per arm against the level, with Wilson 95% bars (the retry arm: solved in any round)."""
    import altair as alt

    acc = accuracy_table(table)
    if acc.empty:
        return acc
    base = alt.Chart(acc).encode(x=alt.X("level:O", title="level (0 = fewest backtracks)"),
                                 color=alt.Color("arm:N", title="arm"))
    line = base.mark_line(point=True).encode(
        y=alt.Y("solve rate:Q", scale=alt.Scale(domain=[0, 1])),
        tooltip=["arm", "level", "solve rate", "ci_low", "ci_high", "n", "backtracks (mean)"])
    bars = base.mark_errorbar().encode(y="ci_low:Q", y2="ci_high:Q")
    return (line + bars).properties(title="solve rate per arm and level (Wilson 95% intervals, descriptive)",
                                    width=380, height=220)
