"""From graded replies to per-problem observations, and the descriptive tables of the report.

The unit of evidence is one problem (one reply). Per problem: did the reply
pass the base suite, and did it pass the augmented suite. The claim says thin
suites overstate correctness, so the check measures, on the same replies:

- `overstatement`: base pass rate minus augmented pass rate, paired per problem
  (each unit's difference is 0 or 1: the augmented suite contains the base one);
- `false_pass_rate`: of the replies the base suite accepts, the share the
  augmented suite rejects: what a published pass@1 on thin tests would count
  wrongly as correct. Its units are the problems whose reply passed the base
  suite; they are i.i.d. like all units, so the same confidence sequence holds.

A model that writes correct code scores 0 on both (its base score is already
its true score); a model that writes code that works on typical inputs only
scores high on both. A model whose wrong programs already fail typical inputs
also scores 0: the metrics measure what thin tests let through, not how often
the model is wrong. The premise `base_pass_rate` keeps a model at the floor
(nothing passes, so nothing can be let through) from being read as evidence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.stats import Observations, observations, paired_differences

UNIT = "problem"


def _flag(value: Any, key: str) -> float:
    return float(bool(value.get(key))) if isinstance(value, dict) else 0.0


def per_unit(table: pd.DataFrame) -> pd.DataFrame:
    """One row per problem, in unit order: base and augmented pass (0/1), family, categories that failed."""
    if table.empty:
        return pd.DataFrame(columns=["unit", "family", "base", "augmented", "categories"])
    t = table[table["arm"] == "solve"].sort_values("unit", kind="stable").drop_duplicates("unit")
    return pd.DataFrame({
        "unit": t["unit"].astype(int).to_numpy(),
        "family": t["family"].to_numpy() if "family" in t else "",
        "base": t["parsed"].map(lambda v: _flag(v, "base")).to_numpy(),
        "augmented": t["parsed"].map(lambda v: _flag(v, "augmented")).to_numpy(),
        "categories": t["parsed"].map(lambda v: tuple(v.get("failed_categories", ())) if isinstance(v, dict)
                                      else ()).to_numpy(),
    })


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    u = per_unit(table)
    base, aug = u["base"].tolist(), u["augmented"].tolist()
    false_pass = [1.0 - a for b, a in zip(base, aug) if b]
    return [
        observations("base_pass_rate", base, unit=UNIT,
                     note="share of problems whose reply passes the base suite (example + hidden typical tests)"),
        observations("augmented_pass_rate", aug, unit=UNIT,
                     note="share of problems whose reply passes the augmented suite"),
        paired_differences("overstatement", base, aug, unit=UNIT,
                           note="base pass rate minus augmented pass rate, same replies"),
        observations("false_pass_rate", false_pass, unit="problem passing the base suite",
                     note="of replies that pass the base suite, the share that fail the augmented suite"),
    ]


def family_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per family: problems, base and augmented pass counts, false passes (descriptive)."""
    u = per_unit(table)
    if u.empty:
        return pd.DataFrame(columns=["family", "problems", "base passes", "augmented passes", "false passes"])
    g = u.groupby("family")
    out = pd.DataFrame({"problems": g.size(), "base passes": g["base"].sum().astype(int),
                        "augmented passes": g["augmented"].sum().astype(int)})
    out["false passes"] = out["base passes"] - out["augmented passes"]
    return out.reset_index()


def exposure_table(table: pd.DataFrame) -> pd.DataFrame:
    """For replies that pass the base suite but not the augmented one: how often each input category failed."""
    u = per_unit(table)
    fp = u[(u["base"] == 1) & (u["augmented"] == 0)] if not u.empty else u
    counts: dict[str, int] = {}
    for cats in fp["categories"] if not fp.empty else []:
        for c in cats:
            counts[c] = counts.get(c, 0) + 1
    rows = [{"input category": c, "wrongly accepted programs it exposes": n,
             "share of them": round(n / len(fp), 3)} for c, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return pd.DataFrame(rows, columns=["input category", "wrongly accepted programs it exposes", "share of them"])


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    u = per_unit(table)
    n = len(u)
    base, aug = (float(u["base"].mean()), float(u["augmented"].mean())) if n else (0.0, 0.0)
    return {
        "problems": n,
        "base_pass_rate": round(base, 4), "augmented_pass_rate": round(aug, 4),
        "relative_drop": round((base - aug) / base, 4) if base else None,
        "unparseable_share": round(float(table["unparseable"].mean()), 4) if len(table) else None,
        "truncated_share": round(float(table["truncated"].mean()), 4) if len(table) else None,
        "exposed_by": {r["input category"]: r["wrongly accepted programs it exposes"]
                       for r in exposure_table(table).to_dict("records")},
    }
