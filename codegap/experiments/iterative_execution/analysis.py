"""From graded replies to per-unit observations, and the descriptive tables of the report.

The unit of evidence is the generation index: unit i holds one instance per
depth (same kind), so "depth d_min minus depth d_max" is a per-unit
difference of two independent instances, an i.i.d. sequence whose mean is the
accuracy drop. "In head" scores an instance by the mean of its direct and CoT
correctness (0, 1/2 or 1): both compute without executing anything.

What separates "recognises the template" from "executes with slips": with
independent per-step errors, accuracy after D steps is accuracy after d steps
to the power D/d. `excess_decay` is that prediction (from the shallowest
depth) minus the observed accuracy at the deepest: clearly above zero means
accuracy collapses faster than slips can explain. The share of wrong deep
answers that are intermediate values (slips) or in-range values never reached
(plausible, not computed) is reported beside it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap import stats
from codegap.stats import Observations, PowerGap, observations, paired_differences

IN_HEAD = ("direct", "cot")


def _per_unit(table: pd.DataFrame, arms: tuple[str, ...], depth: int, col: str = "correct") -> pd.Series:
    sub = table[(table["arm"].isin(arms)) & (table["depth"] == depth)]
    return sub.groupby("unit")[col].mean()


def _complete_units(table: pd.DataFrame, depths: list[int]) -> list[int]:
    """Units with every arm at every depth answered (the batch finished them)."""
    need = len(depths) * 3
    counts = table.groupby("unit").size()
    return sorted(int(u) for u, c in counts.items() if c >= need)


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations | PowerGap]:
    depths = sorted(int(d) for d in params["depths"])
    lo, hi = depths[0], depths[-1]
    t = table[table["unit"].isin(_complete_units(table, depths))] if len(table) else table
    units = sorted(t["unit"].unique()) if len(t) else []

    def series(arms: tuple[str, ...], depth: int, col: str = "correct") -> list[float]:
        s = _per_unit(t, arms, depth, col) if len(t) else pd.Series(dtype=float)
        return [float(s.get(u, 0.0)) for u in units]

    head_lo, head_hi = series(IN_HEAD, lo), series(IN_HEAD, hi)
    code_hi = series(("code",), hi)
    out: list[Observations | PowerGap] = [
        observations("in_head_accuracy_shallowest", head_lo,
                     note=f"mean of direct and CoT correctness per unit at depth {lo}"),
        observations("cot_truncation", [sum(v) / len(v) for v in zip(*(series(("cot",), d, "truncated")
                                                                      for d in depths))] if units else [],
                     note="share of CoT replies per unit that hit the token budget"),
        paired_differences("in_head_drop", head_lo, head_hi, unit="instance pair",
                           note=f"in-head accuracy at depth {lo} minus at depth {hi}"),
        paired_differences("code_minus_head_deepest", code_hi, head_hi, unit="unit",
                           note=f"code-arm accuracy minus in-head accuracy, same instances at depth {hi}"),
        PowerGap("excess_decay",
                 observations("head_lo", head_lo), observations("head_hi", head_hi), exponent=hi / lo,
                 note=f"(in-head accuracy at depth {lo})^({hi}/{lo}) minus in-head accuracy at depth {hi}"),
    ]
    for arm in ("direct", "cot", "code"):
        out.append(paired_differences(f"{arm}_drop", series((arm,), lo), series((arm,), hi), unit="instance pair",
                                      note=f"{arm} accuracy at depth {lo} minus at depth {hi}"))
    wrong = t[(t["arm"].isin(IN_HEAD)) & (t["depth"] == hi) & (~t["correct"]) & (~t["unparseable"])] if len(t) else t
    by_unit = wrong.groupby("unit")["detail"] if len(wrong) else None
    inter = [float((g == "intermediate").mean()) for _, g in by_unit] if by_unit is not None else []
    plaus = [float((g == "in range").mean()) for _, g in by_unit] if by_unit is not None else []
    out.append(observations("wrong_intermediate_share", inter, unit="unit with a wrong answer",
                            note=f"wrong in-head answers at depth {hi} that equal a value the procedure passes through"))
    out.append(observations("wrong_in_range_share", plaus, unit="unit with a wrong answer",
                            note=f"wrong in-head answers at depth {hi} in the procedure's range but never reached"))
    return out


def accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (Wilson 95%), n, unparseable and truncated counts per kind, arm and depth (descriptive)."""
    rows = []
    for (arm, depth), g in table.groupby(["arm", "depth"], sort=True):
        k, n = int(g["correct"].sum()), len(g)
        lo_ci, hi_ci = stats.wilson(k, n)
        rows.append({"arm": arm, "depth": int(depth), "accuracy": k / n, "ci_low": lo_ci, "ci_high": hi_ci, "n": n,
                     "unparseable": int(g["unparseable"].sum()), "truncated": int(g["truncated"].sum())})
    return pd.DataFrame(rows)


def wrong_answer_table(table: pd.DataFrame) -> pd.DataFrame:
    """How wrong answers are wrong, per arm and depth: intermediate / in range / out of range / unparseable."""
    wrong = table[~table["correct"]].copy()
    if wrong.empty:
        return pd.DataFrame(columns=["arm", "depth"])
    wrong["kind_of_error"] = wrong["detail"].where(~wrong["unparseable"], "unparseable")
    wrong.loc[wrong["arm"] == "code", "kind_of_error"] = wrong["kind_of_error"].where(
        wrong["kind_of_error"].isin(["intermediate", "in range", "out of range", "unparseable"]), "program failed")
    return (wrong.groupby(["arm", "depth", "kind_of_error"]).size().unstack(fill_value=0).reset_index())


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    depths = sorted(int(d) for d in params["depths"])
    lo, hi = depths[0], depths[-1]
    acc = {f"{a}@{int(d)}": round(float(g["correct"].mean()), 4) for (a, d), g in table.groupby(["arm", "depth"])}
    head = table[table["arm"].isin(IN_HEAD)]
    p_lo = float(head[head["depth"] == lo]["correct"].mean()) if len(head) else 0.0
    predicted = {int(d): round(p_lo ** (d / lo), 4) for d in depths}
    observed = {int(d): round(float(head[head["depth"] == d]["correct"].mean()), 4) for d in depths} if len(head) else {}
    cot = table[table["arm"] == "cot"]
    return {"accuracy": acc, "in_head_observed_by_depth": observed,
            "in_head_predicted_by_independent_steps": predicted,
            "cot_truncated_share": round(float(cot["truncated"].mean()), 4) if len(cot) else None,
            "unparseable_share": round(float(table["unparseable"].mean()), 4) if len(table) else None}
