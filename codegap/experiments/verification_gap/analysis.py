"""From graded replies to per-unit observations, and the descriptive tables of the report.

The unit of evidence is one problem: its two chains (review, feedback), its two
verifier judgments and its planted review. Every metric is one bounded value
per unit, so an anytime-valid confidence sequence can count it
(`codegap.stats`); no interval is computed here.

Round 0 of the two chains is the same prompt at temperature 0, so normally the
same reply (the run's cache serves the second); each chain's gain is still
measured from its own round 0, so a model that answers the first prompt
differently twice cannot manufacture a gain. The comparison of the two arms is
the per-unit difference of the gains, bounded in [-2, 2].

Verifier accuracy (balanced: one right and one wrong candidate per unit) has
chance level 0.5 and a generator's chance level is near 0, so their raw
difference (`verification_gap`, the comparison the brief asks for) can be
positive for a verifier that judges at chance. The rule therefore uses the
chance-corrected `verifier_discrimination`: how much more often the model
accepts the right candidate than the wrong one (0 for a verifier that always
says "correct", 1 for a perfect one).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap import stats
from codegap.stats import Observations, observations, paired_differences
from codegap.experiments.verification_gap.task import ARMS, CHAINS

UNIT = "problem"


def _complete(table: pd.DataFrame, rounds: int) -> pd.DataFrame:
    """Rows of units whose every arm answered (every round of a chain; the batch finished them)."""
    need = {(a, r) for a in CHAINS for r in range(rounds + 1)} | {(a, 0) for a in ARMS if a not in CHAINS}
    have = table.groupby("unit").apply(lambda g: need <= set(zip(g["arm"], g["round"])), include_groups=False)
    return table[table["unit"].isin(have[have].index)]


def _edited(v: Any) -> float:
    return float(bool(v.get("edited"))) if isinstance(v, dict) else 0.0


def per_unit(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """One row per complete unit, in the order units were run, with every per-unit quantity."""
    rounds = int(params["rounds"])
    if table.empty:
        return pd.DataFrame()
    t = _complete(table, rounds)
    if t.empty:
        return pd.DataFrame()
    units = pd.unique(t["unit"])
    first = t.drop_duplicates(["unit", "arm", "round"])

    last = first.sort_values("round", kind="stable").drop_duplicates(["unit", "arm"], keep="last")

    def cell(arm: str, rnd: int | None, col: str = "correct") -> pd.Series:
        """One column of one arm and round per unit; round None: the arm's last round (a verifier's verdict)."""
        hit = last[last["arm"] == arm] if rnd is None else first[(first["arm"] == arm) & (first["round"] == rnd)]
        return hit.set_index("unit")[col].reindex(units)

    out = pd.DataFrame({"unit": units.astype(int)})
    for arm in CHAINS:
        out[f"{arm}_0"] = cell(arm, 0).astype(float).to_numpy()
        out[f"{arm}_R"] = cell(arm, rounds).astype(float).to_numpy()
        later = first[(first["arm"] == arm) & (first["round"].between(1, rounds))]
        edits = later.assign(e=later["parsed"].map(_edited)).groupby("unit")["e"].sum() / rounds
        out[f"{arm}_edits"] = edits.reindex(units).to_numpy()
    out["same_round0"] = (cell("intrinsic", 0, "reply") == cell("feedback", 0, "reply")).astype(float).to_numpy()
    out["planted_edited"] = cell("planted", 0, "parsed").map(_edited).to_numpy()
    out["planted_fixed"] = cell("planted", 0).astype(float).to_numpy()
    out["verify_right_ok"] = cell("verify_right", None).astype(float).to_numpy()
    out["verify_wrong_ok"] = cell("verify_wrong", None).astype(float).to_numpy()
    out["accepts_right"] = (cell("verify_right", None, "parsed") == "correct").astype(float).to_numpy()
    out["accepts_wrong"] = (cell("verify_wrong", None, "parsed") == "correct").astype(float).to_numpy()
    out["unparseable"] = sum(cell(a, None if a.startswith("verify") else 0, "unparseable").astype(float).to_numpy()
                             for a in ARMS) / len(ARMS)
    return out


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    u = per_unit(table, params)
    rounds = int(params["rounds"])

    def col(name: str) -> list[float]:
        return [] if u.empty else [float(v) for v in u[name]]

    single = [(a + b) / 2 for a, b in zip(col("intrinsic_0"), col("feedback_0"))]
    in_gain = [b - a for a, b in zip(col("intrinsic_0"), col("intrinsic_R"))]
    fb_gain = [b - a for a, b in zip(col("feedback_0"), col("feedback_R"))]
    verifier = [(a + b) / 2 for a, b in zip(col("verify_right_ok"), col("verify_wrong_ok"))]
    after = f"after {rounds} round{'s' if rounds > 1 else ''}"

    def flips(arm: str, start: float) -> list[float]:
        return [float(a == start and b != start) for a, b in zip(col(f"{arm}_0"), col(f"{arm}_R"))]

    return [
        observations("single_acc", single, unit=UNIT, note="round-0 accuracy (the single attempt), all tests"),
        observations("intrinsic_acc", col("intrinsic_R"), unit=UNIT, note=f"accuracy {after} of self-review"),
        observations("feedback_acc", col("feedback_R"), unit=UNIT, note=f"accuracy {after} of test feedback"),
        paired_differences("intrinsic_gain", col("intrinsic_R"), col("intrinsic_0"),
                           unit=UNIT, note=f"accuracy {after} of self-review minus round 0, same problem"),
        paired_differences("feedback_gain", col("feedback_R"), col("feedback_0"),
                           unit=UNIT, note=f"accuracy {after} of test feedback minus round 0, same problem"),
        Observations("feedback_minus_intrinsic", tuple(f - i for f, i in zip(fb_gain, in_gain)), bounds=(-2.0, 2.0),
                     unit=UNIT, note="feedback gain minus self-review gain on the same problem"),
        observations("intrinsic_correct_to_wrong", flips("intrinsic", 1.0),
                     unit=UNIT, note="right at round 0, wrong after self-review"),
        observations("intrinsic_wrong_to_correct", flips("intrinsic", 0.0),
                     unit=UNIT, note="wrong at round 0, right after self-review"),
        observations("feedback_correct_to_wrong", flips("feedback", 1.0),
                     unit=UNIT, note="right at round 0, wrong after test feedback"),
        observations("feedback_wrong_to_correct", flips("feedback", 0.0),
                     unit=UNIT, note="wrong at round 0, right after test feedback"),
        observations("intrinsic_edit_rate", col("intrinsic_edits"),
                     unit=UNIT, note="share of self-review rounds in which the model changed its function"),
        observations("feedback_edit_rate", col("feedback_edits"),
                     unit=UNIT, note="share of feedback rounds in which the model changed its function"),
        observations("planted_edit_rate", col("planted_edited"),
                     unit=UNIT, note="asked to review a subtly wrong function presented as its own, the model changed it"),
        observations("planted_fix_rate", col("planted_fixed"),
                     unit=UNIT, note="asked to review a subtly wrong function presented as its own, the model made it correct"),
        observations("verifier_accuracy", verifier,
                     unit=UNIT, note="judging one right and one wrong candidate without running them: share judged correctly "
                          "(chance 0.5)"),
        paired_differences("verifier_discrimination", col("accepts_right"), col("accepts_wrong"),
                           unit=UNIT, note="accepts the right candidate minus accepts the wrong one (0 = chance)"),
        paired_differences("verification_gap", verifier, single,
                           unit=UNIT, note="verifier accuracy minus generator (round-0) accuracy on the same problem"),
        observations("unparseable_rate", col("unparseable"),
                     unit=UNIT, note="share of first answers (chains' round 0, the verdicts, the planted review) with no readable function or verdict"),
    ]


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    u = per_unit(table, params)
    trunc = {arm: round(float(g["truncated"].mean()), 4) for arm, g in table.groupby("arm")} if len(table) else {}
    acc = {f"{arm}@{int(r)}": round(float(g["correct"].mean()), 4)
           for (arm, r), g in table.groupby(["arm", "round"])} if len(table) else {}
    return {
        "accuracy_by_arm_round": acc,
        "truncated_share_by_arm": trunc,
        "round0_identical_share": round(float(u["same_round0"].mean()), 4) if len(u) else None,
        "verifier_accepts_right": round(float(u["accepts_right"].mean()), 4) if len(u) else None,
        "verifier_accepts_wrong": round(float(u["accepts_wrong"].mean()), 4) if len(u) else None,
    }


def accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (Wilson 95%), n, unparseable and truncated per arm and round (descriptive)."""
    rows = []
    for (arm, rnd), g in table.groupby(["arm", "round"], sort=False):
        k, n = int(g["correct"].sum()), len(g)
        lo, hi = stats.wilson(k, n)
        rows.append({"arm": arm, "round": int(rnd), "accuracy": k / n, "ci_low": lo, "ci_high": hi, "n": n,
                     "unparseable": int(g["unparseable"].sum()), "truncated": int(g["truncated"].sum())})
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    order = {a: i for i, a in enumerate(ARMS)}
    return df.sort_values(["arm", "round"], key=lambda s: s.map(order) if s.name == "arm" else s).reset_index(drop=True)


def flips_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per chain and round: correct->wrong and wrong->correct flips from the round before, and edits."""
    rows = []
    for arm in CHAINS:
        g = table[table["arm"] == arm]
        if g.empty:
            continue
        wide = g.pivot_table(index="unit", columns="round", values="correct", aggfunc="first")
        for r in sorted(wide.columns)[1:]:
            prev, cur = wide[r - 1].astype(bool), wide[r].astype(bool)
            edits = g[g["round"] == r]["parsed"].map(_edited)
            rows.append({"arm": arm, "round": int(r), "correct_to_wrong": int((prev & ~cur).sum()),
                         "wrong_to_correct": int((~prev & cur).sum()), "edited": int(edits.sum()),
                         "n": int(len(cur))})
    return pd.DataFrame(rows)


def verifier_table(table: pd.DataFrame) -> pd.DataFrame:
    """What the verifier said about each kind of candidate (counts; the verdict after at most one request for it)."""
    rows = []
    for arm, truth in (("verify_right", "right"), ("verify_wrong", "subtly wrong")):
        g = table[table["arm"] == arm].sort_values("round", kind="stable").drop_duplicates("unit", keep="last")
        said = g["parsed"].map(lambda v: v if v in ("correct", "wrong") else "no verdict")
        rows.append({"candidate": truth, "said correct": int((said == "correct").sum()),
                     "said wrong": int((said == "wrong").sum()), "no verdict": int((said == "no verdict").sum())})
    return pd.DataFrame(rows)
