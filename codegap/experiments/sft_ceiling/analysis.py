"""From graded student answers to per-seed observations, and the report's tables.

The unit of evidence is a training seed: each seed trains every student
afresh, so a seed's value (a mean over its held-out problems) is one
independent replicate of the whole recipe. Intervals are Student t over
seeds (`replicates` design), with the standard error floored by the
within-seed sampling error (variance over problems / number of problems);
the number of seeds is fixed in advance (the rule's min_n equals the budget).

"Student minus teacher" is paired per problem: the student's correctness
minus its teacher's on the same held-out problem, so a student that
reproduces its teacher exactly scores 0 whatever the teacher's accuracy.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap.experiments.sft_ceiling.task import WRONG_TEACHERS, arm_names, sizes, teacher_of
from codegap.stats import Observations


def teacher_right(table: pd.DataFrame, teacher: str) -> pd.Series:
    """Per row: is the teacher's answer to this row's problem right?"""
    if teacher == "clean":
        return pd.Series(True, index=table.index)
    return table[teacher] == table["answer"]


def _by_problem(table: pd.DataFrame, arm: str) -> pd.DataFrame:
    """One row per (unit, problem) of `arm`: student right, teacher right, student copied the teacher's error."""
    sub = table[table["arm"] == arm]
    teacher = teacher_of(arm)
    out = pd.DataFrame({
        "unit": sub["unit"].to_numpy(),
        "order": sub["instance"].str.rsplit("-p", n=1).str[1].astype(int).to_numpy(),
        "student": sub["correct"].astype(float).to_numpy(),
        "teacher": teacher_right(sub, teacher).astype(float).to_numpy(),
        "copied": (sub["detail"] == "as its teacher").astype(float).to_numpy(),
    })
    return out.set_index(["unit", "order"]).sort_index()


def _complete(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Only seeds with every arm answered (a seed in progress is never half counted)."""
    if table.empty:
        return table
    need = set(arm_names(params))
    have = table.groupby("unit")["arm"].agg(lambda a: set(a))
    return table[table["unit"].isin([u for u, s in have.items() if need <= s])]


def _replicates(name: str, per_problem: pd.Series, *, bounds: tuple[float, float], note: str) -> Observations:
    if per_problem.empty:
        return Observations(name, (), bounds=bounds, unit="seed", design="replicates", note=note)
    g = per_problem.groupby(level="unit")
    return Observations(name, tuple(float(v) for v in g.mean()), bounds=bounds, unit="seed", design="replicates",
                        note=note, within_var=tuple(float(s.var(ddof=1)) / len(s) if len(s) > 1 else 0.0
                                                   for _, s in g))


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    t = _complete(table, params)
    ns = sizes(params)
    top, prev = ns[-1], ns[-2]
    empty = pd.Series(dtype=float)

    def prob(arm: str) -> pd.DataFrame:
        return _by_problem(t, arm) if len(t) else pd.DataFrame(columns=["student", "teacher", "copied"])

    gap = {w: (prob(f"{w}@{top}")["student"] - prob(f"{w}@{top}")["teacher"]) if len(t) else empty
           for w in WRONG_TEACHERS}
    gains = {w: (prob(f"{w}@{top}")["student"] - prob(f"{w}@{prev}")["student"]) if len(t) else empty
             for w in WRONG_TEACHERS}
    out = [
        _replicates("clean_student_accuracy", prob(f"clean@{top}")["student"] if len(t) else empty, bounds=(0.0, 1.0),
                    note=f"accuracy of the student fine-tuned on {top} correct demonstrations"),
        _replicates("systematic_student_minus_teacher", gap["systematic"], bounds=(-1.0, 1.0),
                    note=f"accuracy of the student of the systematic teacher ({top} demonstrations) minus the "
                         "teacher's, same held-out problems"),
        _replicates("noisy_student_minus_teacher", gap["noisy"], bounds=(-1.0, 1.0),
                    note=f"accuracy of the student of the noisy teacher ({top} demonstrations) minus the "
                         "teacher's, same held-out problems"),
        _last_doubling(gains, top, prev),
        _replicates("rl_minus_teacher", (prob("rl")["student"] - prob("rl")["teacher"]) if len(t) else empty,
                    bounds=(-1.0, 1.0),
                    note=f"accuracy of the systematic teacher's student ({top}) after verifier-reward RL minus "
                         "the systematic teacher's"),
        _replicates("systematic_student_accuracy", prob(f"systematic@{top}")["student"] if len(t) else empty,
                    bounds=(0.0, 1.0), note=f"accuracy of the student of the systematic teacher ({top})"),
        _replicates("noisy_student_accuracy", prob(f"noisy@{top}")["student"] if len(t) else empty,
                    bounds=(0.0, 1.0), note=f"accuracy of the student of the noisy teacher ({top})"),
    ]
    for w in WRONG_TEACHERS:
        p = prob(f"{w}@{top}")
        wrong = p[p["teacher"] == 0]["copied"] if len(t) else empty
        out.append(_replicates(f"{w}_copy_rate", wrong, bounds=(0.0, 1.0),
                               note=f"of the held-out problems the {w} teacher gets wrong, the share where its "
                                    f"student ({top}) gives the teacher's wrong answer"))
    return out


def _last_doubling(gains: dict[str, pd.Series], top: int, prev: int) -> Observations:
    """Per seed, the larger of the two wrong teachers' gains from the last doubling of the data."""
    name = "last_doubling_gain"
    note = (f"per seed, the larger over the two wrong teachers of the student's accuracy with {top} "
            f"demonstrations minus with {prev}")
    if any(g.empty for g in gains.values()):
        return Observations(name, (), bounds=(-1.0, 1.0), unit="seed", design="replicates", note=note)
    values, within = [], []
    by = {w: g.groupby(level="unit") for w, g in gains.items()}
    for unit in sorted(set(gains["systematic"].index.get_level_values("unit"))):
        parts = {w: by[w].get_group(unit) for w in gains}
        best = max(parts, key=lambda w: float(parts[w].mean()))
        s = parts[best]
        values.append(float(s.mean()))
        within.append(float(s.var(ddof=1)) / len(s) if len(s) > 1 else 0.0)
    return Observations(name, tuple(values), bounds=(-1.0, 1.0), unit="seed", design="replicates", note=note,
                        within_var=tuple(within))


# --- descriptive ------------------------------------------------------------------------------------


def curve_table(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Accuracy per teacher and data size: mean over seeds, lowest and highest seed, and the teacher's."""
    rows = []
    for arm in arm_names(params):
        if arm not in set(table["arm"]):
            continue
        p = _by_problem(table, arm)
        per_seed = p["student"].groupby(level="unit").mean()
        teacher, _, size = arm.partition("@")
        rows.append({"student": arm, "teacher": teacher_of(arm), "demonstrations": int(size) if size else None,
                     "accuracy": round(float(p["student"].mean()), 4),
                     "lowest seed": round(float(per_seed.min()), 4), "highest seed": round(float(per_seed.max()), 4),
                     "teacher accuracy": round(float(p["teacher"].mean()), 4),
                     "copies teacher's errors": round(float(p[p["teacher"] == 0]["copied"].mean()), 4)
                     if (p["teacher"] == 0).any() else None})
    return pd.DataFrame(rows)


def curve_chart(table: pd.DataFrame, params: dict[str, Any]) -> Any:
    """Student accuracy against the number of demonstrations, one line per teacher, teachers dashed."""
    import altair as alt

    data = curve_table(table, params)
    data = data[data["demonstrations"].notna() & data["teacher"].isin(WRONG_TEACHERS)]
    base = alt.Chart(data).encode(x=alt.X("demonstrations:Q", scale=alt.Scale(type="log", base=2),
                                          title="demonstrations"),
                                  color=alt.Color("teacher:N", title="teacher"))
    band = base.mark_area(opacity=0.15).encode(y="lowest seed:Q", y2="highest seed:Q")
    line = base.mark_line(point=True).encode(y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]),
                                                     title="held-out accuracy"),
                                             tooltip=["student", "accuracy", "lowest seed", "highest seed"])
    teacher = base.mark_line(strokeDash=[4, 4]).encode(y="teacher accuracy:Q")
    return (band + line + teacher).properties(title="student accuracy by data size (dashed: its teacher)",
                                              width=420, height=260)


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    if table.empty:
        return {}
    out: dict[str, Any] = {"unparseable_share": round(float(table["unparseable"].mean()), 4)}
    for w in WRONG_TEACHERS:
        first = table[table["arm"] == f"{w}@{sizes(params)[-1]}"]
        out[f"{w}_teacher_accuracy"] = round(float(teacher_right(first, w).mean()), 4) if len(first) else None
    by_unit = table.groupby("unit")
    for col in ("rl_reward_start", "rl_reward_end", "train_seconds"):
        if col in table.columns:
            out[f"{col}_per_seed"] = [v.item() if hasattr(v, "item") else v for v in by_unit[col].first()]
    if "environment" in table.columns:
        out["environment"] = "; ".join(sorted(set(by_unit["environment"].first())))
    return out
