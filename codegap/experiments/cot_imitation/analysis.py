"""From graded replies to per-unit observations, and the descriptive tables of the report.

A unit is one twin pair and its comprehension check: five replies, the
familiar twin (direct, CoT), the counterfactual twin (direct, CoT) and the
check. Per unit the analysis reads five 0/1 cells:

    Fd, Fc   familiar twin, direct / CoT
    Cd, Cc   counterfactual twin, direct / CoT
    K        comprehension check of the counterfactual rule

What the rule asks (see README.md for why):
- `cot_shift_gap` = Fc - Cc: with CoT, how much worse the counterfactual twin
  goes. A procedure-follower has none (the twins take the same steps and it
  knows the rule, premise K); a model whose CoT imitates familiar forms has a
  large one. A ceiling on direct answers does not bound it (the old rule's
  gain difference was bounded by 1 - Fd, so a strong model could never meet it).
- `gap_kept_by_cot` = (Fc - Cc) - (Fd - Cd) / 2: whether CoT narrows the
  familiar-versus-counterfactual gap that direct answers show; above 0 when
  CoT leaves more than half of that gap open (or opens one where direct
  answers had none).
Reported beside them: the gap narrowing itself, CoT's gain on each twin, and
how often a wrong counterfactual CoT answer is exactly the familiar
convention's answer (the familiar form intruding).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap import stats
from codegap.experiments.cot_imitation.grader import FAMILIAR, looping
from codegap.stats import Observations, observations, paired_differences

#: (variant, arm) of each per-unit cell
CELLS: dict[str, tuple[str, str]] = {
    "Fd": ("familiar", "direct"), "Fc": ("familiar", "cot"),
    "Cd": ("counterfactual", "direct"), "Cc": ("counterfactual", "cot"),
    "K": ("check", "check"),
}


def _cut_off(row: Any) -> bool:
    """Hit the token budget while still making progress (a repeating loop is the model's failure)."""
    return bool(row["truncated"]) and not looping(str(row["reply"]))


def unit_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per complete unit (all five replies present), in unit order.

    Columns: the five correctness cells, `parse` (share of the five replies
    with a readable answer), `trunc_F` / `trunc_C` (the CoT reply of each twin
    hit its budget while still making progress, i.e. not in a repeating loop,
    which no budget would end), `intrusion` (the counterfactual CoT answer is the familiar
    convention's), and `family`.
    """
    cols = list(CELLS) + ["parse", "trunc_F", "trunc_C", "intrusion", "family"]
    if table is None or len(table) == 0:
        return pd.DataFrame(columns=cols)
    t = table[table["round"] == 0] if "round" in table.columns else table
    cell = t["variant"].astype(str) + "/" + t["arm"].astype(str)
    names = {f"{v}/{a}": k for k, (v, a) in CELLS.items()}
    t = t.assign(cell=cell.map(names)).dropna(subset=["cell"])
    rows = []
    for u, g in t.groupby("unit", sort=True):
        by = {r["cell"]: r for _, r in g.iterrows()}
        if set(by) != set(CELLS):
            continue  # the batch did not finish this unit
        row: dict[str, Any] = {k: float(bool(by[k]["correct"])) for k in CELLS}
        row["parse"] = float(1.0 - g["unparseable"].astype(bool).mean())
        row["trunc_F"] = float(_cut_off(by["Fc"]))
        row["trunc_C"] = float(_cut_off(by["Cc"]))
        row["intrusion"] = float(by["Cc"]["detail"] == FAMILIAR)
        row["family"] = str(by["Fc"]["family"])
        row["unit"] = int(u)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols + ["unit"]).set_index("unit") if rows else pd.DataFrame(columns=cols)


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    u = unit_table(table)

    def col(name: str) -> list[float]:
        return [float(v) for v in u[name]] if len(u) else []

    fd, fc, cd, cc = col("Fd"), col("Fc"), col("Cd"), col("Cc")
    gap_direct = [a - b for a, b in zip(fd, cd)]
    gap_cot = [a - b for a, b in zip(fc, cc)]
    return [
        # premises
        observations("parse_rate", col("parse"), unit="twin pair",
                     note="share of the unit's five replies with a readable answer"),
        observations("cot_truncation_familiar", col("trunc_F"), unit="twin pair",
                     note="the familiar twin's chain of thought hit its token budget (not in a repeating loop)"),
        observations("rule_comprehension", col("K"), unit="twin pair",
                     note="the comprehension check of the counterfactual rule is answered right"),
        observations("cot_familiar_accuracy", fc, unit="twin pair", note="CoT accuracy on the familiar twins"),
        # the rule
        paired_differences("cot_shift_gap", fc, cc, unit="twin pair",
                           note="CoT accuracy, familiar twin minus counterfactual twin"),
        Observations("gap_kept_by_cot", tuple(c - d / 2 for c, d in zip(gap_cot, gap_direct)),
                     bounds=(-1.5, 1.5), unit="twin pair",
                     note="CoT gap (familiar minus counterfactual) minus half the direct-answer gap"),
        # reported
        paired_differences("direct_shift_gap", fd, cd, unit="twin pair",
                           note="direct accuracy, familiar twin minus counterfactual twin"),
        Observations("cot_gap_narrowing", tuple(d - c for c, d in zip(gap_cot, gap_direct)),
                     bounds=(-2.0, 2.0), unit="twin pair",
                     note="direct-answer gap minus CoT gap: how much CoT narrows the familiar-counterfactual gap"),
        paired_differences("cot_gain_familiar", fc, fd, unit="twin pair",
                           note="CoT minus direct accuracy on the familiar twin"),
        paired_differences("cot_gain_counterfactual", cc, cd, unit="twin pair",
                           note="CoT minus direct accuracy on the counterfactual twin"),
        observations("familiar_answer_intrusion", col("intrusion"), unit="twin pair",
                     note="the counterfactual twin's CoT answer is exactly the familiar convention's answer"),
        observations("cot_truncation_counterfactual", col("trunc_C"), unit="twin pair",
                     note="the counterfactual twin's chain of thought hit its token budget (not in a repeating loop)"),
    ]


def accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (Wilson 95%), n, unparseable, truncated and familiar-convention answers per cell (descriptive)."""
    rows = []
    if table is None or len(table) == 0:
        return pd.DataFrame(rows)
    for (family, variant, arm), g in table.groupby(["family", "variant", "arm"], sort=True):
        k, n = int(g["correct"].sum()), len(g)
        lo, hi = stats.wilson(k, n)
        rows.append({"family": family, "variant": variant, "arm": arm, "accuracy": round(k / n, 3),
                     "ci_low": round(lo, 3), "ci_high": round(hi, 3), "n": n,
                     "unparseable": int(g["unparseable"].sum()), "truncated": int(g["truncated"].sum()),
                     "familiar-convention answers": int((g["detail"] == FAMILIAR).sum())})
    return pd.DataFrame(rows)


def wrong_answer_table(table: pd.DataFrame) -> pd.DataFrame:
    """How wrong answers are wrong, per family, variant and arm."""
    if table is None or len(table) == 0:
        return pd.DataFrame()
    wrong = table[~table["correct"].astype(bool)].copy()
    if wrong.empty:
        return pd.DataFrame(columns=["family", "variant", "arm"])
    wrong["kind_of_error"] = wrong["detail"].where(~wrong["unparseable"].astype(bool), "unparseable")
    return wrong.groupby(["family", "variant", "arm", "kind_of_error"]).size().unstack(fill_value=0).reset_index()


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    """Numbers a record keeps beside its metrics: cell accuracies per family, truncation, tokens per arm."""
    if table is None or len(table) == 0:
        return {}
    u = unit_table(table)
    by_family = {}
    for fam, g in u.groupby("family"):
        by_family[str(fam)] = {k: round(float(g[k].mean()), 4) for k in CELLS} | {"units": int(len(g))}
    tokens = {}
    for (variant, arm), g in table.groupby(["variant", "arm"]):
        tok = g["tokens_out"].astype(float)
        tokens[f"{variant}/{arm}"] = {"mean": round(float(tok.mean()), 1), "p95": round(float(tok.quantile(0.95)), 1),
                                      "max": int(tok.max()), "truncated": round(float(g["truncated"].mean()), 4)}
    cot = table[table["arm"] == "cot"]
    loops = cot["reply"].astype(str).map(looping) if len(cot) else cot
    return {"cot_looping_share": round(float(loops.mean()), 4) if len(cot) else None,
            "cot_cut_off_share": round(float((cot["truncated"].astype(bool) & ~loops).mean()), 4) if len(cot) else None,
            "cells_by_family": by_family,
            "cells_all": {k: round(float(u[k].mean()), 4) for k in CELLS} if len(u) else {},
            "cot_truncated_share": round(float(cot["truncated"].mean()), 4) if len(cot) else None,
            "unparseable_share": round(float(table["unparseable"].mean()), 4),
            "tokens_out_by_cell": tokens}
