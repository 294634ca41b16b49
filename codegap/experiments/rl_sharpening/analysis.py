"""From graded draws to per-unit observations: pass@k, coverage and the two controls.

Per problem and arm, the draws give (n, c); pass@k for any k <= n uses the
unbiased estimator (`codegap.stats.pass_at_k`), and "solved at any k"
(coverage) is c > 0, which equals pass@n.

The unit of evidence differs by mode:
- **Mode B (organism):** a training seed. Each seed's value is the mean over
  its held-out problems, and the interval is Student t over seeds
  (`replicates` design) with its standard error floored by the within-seed
  sampling error (the variance over problems divided by their number). So
  the interval carries seed-to-seed variation: the verdict is about the
  training recipe, not about one seed's weights. The number of seeds is
  fixed in advance (the rule's min_n equals the budget), as a t interval
  needs.
- **Mode A (served models):** a problem. Values are per problem, in the order
  run, under an anytime-valid confidence sequence (a cluster mean: the draws
  of one problem are never counted as independent).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap import stats
from codegap.experiments.rl_sharpening.generator import guess_rate, mode_a
from codegap.stats import Observations

#: k values shown in the pass@k tables (up to the largest k of the run)
KS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def counts(table: pd.DataFrame) -> pd.DataFrame:
    """(unit, instance, arm) -> n draws and c correct, ordered by unit and problem index."""
    if table.empty:
        return pd.DataFrame(columns=["unit", "instance", "arm", "n", "c", "order"])
    g = table.groupby(["unit", "instance", "arm"], sort=False)["correct"].agg(n="size", c="sum").reset_index()
    g["order"] = g["instance"].str.rsplit("-p", n=1).str[1].astype(int)
    return g.sort_values(["unit", "order", "arm"]).reset_index(drop=True)


def per_problem(cnt: pd.DataFrame, arm: str, k: int | str) -> pd.DataFrame:
    """One row per (unit, problem) of `arm`: pass@k (or coverage when k == "any")."""
    sub = cnt[cnt["arm"] == arm].copy()
    if k == "any":
        sub["v"] = (sub["c"] > 0).astype(float)
    else:
        sub["v"] = [stats.pass_at_k(int(n), int(c), int(k)) for n, c in zip(sub["n"], sub["c"])]
    return sub[["unit", "order", "v"]].set_index(["unit", "order"])


def _complete(cnt: pd.DataFrame, arms: tuple[str, ...]) -> pd.DataFrame:
    """Only units whose every problem has every arm (a unit in progress is never half counted)."""
    if cnt.empty:
        return cnt
    have = cnt.groupby("unit")["arm"].agg(lambda a: set(a))
    done = [u for u, s in have.items() if set(arms) <= s]
    return cnt[cnt["unit"].isin(done)]


def _obs(name: str, values: pd.Series, *, replicates: bool, bounds: tuple[float, float], note: str) -> Observations:
    """Per-unit values: Mode B averages per seed (with the within-seed floor), Mode A keeps problems."""
    if values.empty:
        return Observations(name, (), bounds=bounds, unit="seed" if replicates else "problem",
                            design="replicates" if replicates else "sequential", note=note)
    if not replicates:
        return Observations(name, tuple(float(v) for v in values), bounds=bounds, unit="problem", note=note)
    by_seed = values.groupby(level="unit")
    means = by_seed.mean()
    within = by_seed.apply(lambda s: float(s.var(ddof=1)) / len(s) if len(s) > 1 else 0.0)
    return Observations(name, tuple(float(v) for v in means), bounds=bounds, unit="seed", design="replicates",
                        note=note, within_var=tuple(float(v) for v in within))


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    served = mode_a(params)
    arms = ("base", "rl", "base_cooled") if served else ("base", "rl", "base_cooled", "sft")
    cnt = _complete(counts(table), arms)
    k = int(params["samples"])
    rep = not served
    cooled = (f"the base model at control_temperature={params['control_temperature']}" if served
              else "the base organism at the temperature matched to the RL model's certainty (per seed)")

    def pk(arm: str, kk: int | str) -> pd.Series:
        return per_problem(cnt, arm, kk)["v"] if len(cnt) else pd.Series(dtype=float)

    def diff(a: str, b: str, kk: int | str) -> pd.Series:
        if not len(cnt):
            return pd.Series(dtype=float)
        return pk(a, kk) - pk(b, kk)

    def only(a: str, b: str) -> pd.Series:
        if not len(cnt):
            return pd.Series(dtype=float)
        return ((pk(a, "any") > 0) & (pk(b, "any") == 0)).astype(float)

    p01, pm11 = (0.0, 1.0), (-1.0, 1.0)
    out = [
        _obs("base_pass1", pk("base", 1), replicates=rep, bounds=p01, note="pass@1 of the base model"),
        _obs("base_passmax", pk("base", k), replicates=rep, bounds=p01,
             note=f"pass@{k} of the base model (= its coverage: problems solved by at least one of {k} draws)"),
        _obs("rl_minus_base_pass1", diff("rl", "base", 1), replicates=rep, bounds=pm11,
             note="pass@1 of the RL-tuned model minus the base model's, same problems"),
        _obs("rl_minus_base_passmax", diff("rl", "base", k), replicates=rep, bounds=pm11,
             note=f"pass@{k} of the RL-tuned model minus the base model's, same problems"),
        _obs("rl_pass1", pk("rl", 1), replicates=rep, bounds=p01, note="pass@1 of the RL-tuned model"),
        _obs("rl_passmax", pk("rl", k), replicates=rep, bounds=p01, note=f"pass@{k} of the RL-tuned model"),
        _obs("rl_only_coverage", only("rl", "base"), replicates=rep, bounds=p01,
             note=f"share of problems the RL-tuned model solves in {k} draws and the base model never does"),
        _obs("base_only_coverage", only("base", "rl"), replicates=rep, bounds=p01,
             note=f"share of problems the base model solves in {k} draws and the RL-tuned model never does"),
        _obs("rl_minus_cooled_pass1", diff("rl", "base_cooled", 1), replicates=rep, bounds=pm11,
             note=f"pass@1 of the RL-tuned model minus {cooled}"),
        _obs("rl_minus_cooled_passmax", diff("rl", "base_cooled", k), replicates=rep, bounds=pm11,
             note=f"pass@{k} of the RL-tuned model minus {cooled}"),
    ]
    if served:
        na = "not available in Mode A (served models): no continued-SFT model exists"
        out += [_obs("rl_minus_sft_pass1", pd.Series(dtype=float), replicates=False, bounds=pm11, note=na),
                _obs("rl_minus_sft_passmax", pd.Series(dtype=float), replicates=False, bounds=pm11, note=na)]
    else:
        out += [_obs("rl_minus_sft_pass1", diff("rl", "sft", 1), replicates=True, bounds=pm11,
                     note="pass@1 of the RL-tuned organism minus the base after as many steps of plain SFT"),
                _obs("rl_minus_sft_passmax", diff("rl", "sft", k), replicates=True, bounds=pm11,
                     note=f"pass@{k} of the RL-tuned organism minus the base after as many steps of plain SFT")]
    return out


# --- descriptive ------------------------------------------------------------------------------


def passk_table(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """pass@k per arm and k: mean over units, and the lowest and highest unit (seed) mean (Mode B)."""
    cnt = counts(table)
    k = int(params["samples"])
    rows = []
    for arm in [a for a in ("base", "rl", "base_cooled", "sft") if a in set(cnt["arm"])]:
        for kk in [x for x in KS if x <= k]:
            v = per_problem(cnt, arm, kk)["v"]
            per_unit = v.groupby(level="unit").mean()
            rows.append({"arm": arm, "k": kk, "pass@k": round(float(v.mean()), 4),
                         "lowest unit": round(float(per_unit.min()), 4),
                         "highest unit": round(float(per_unit.max()), 4)})
    return pd.DataFrame(rows)


def coverage_table(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Per unit: the share of problems each arm solves at any k (c > 0), and the RL-only / base-only shares."""
    cnt = counts(table)
    arms = [a for a in ("base", "rl", "base_cooled", "sft") if a in set(cnt["arm"])]
    if not arms:
        return pd.DataFrame()
    cov = pd.concat({a: per_problem(cnt, a, "any")["v"] for a in arms}, axis=1)
    out = cov.groupby(level="unit").mean()
    if {"base", "rl"} <= set(arms):
        out["rl only"] = ((cov["rl"] > 0) & (cov["base"] == 0)).groupby(level="unit").mean()
        out["base only"] = ((cov["base"] > 0) & (cov["rl"] == 0)).groupby(level="unit").mean()
    return out.round(4).reset_index()


def passk_chart(table: pd.DataFrame, params: dict[str, Any]) -> Any:
    """pass@k per arm on a log-k axis (mean over units; descriptive)."""
    import altair as alt

    data = passk_table(table, params)
    base = alt.Chart(data).encode(x=alt.X("k:Q", scale=alt.Scale(type="log", base=2), title="k (draws per problem)"),
                                  color=alt.Color("arm:N", title="arm"))
    band = base.mark_area(opacity=0.15).encode(y="lowest unit:Q", y2="highest unit:Q")
    line = base.mark_line(point=True).encode(y=alt.Y("pass@k:Q", scale=alt.Scale(domain=[0, 1])),
                                             tooltip=["arm", "k", "pass@k", "lowest unit", "highest unit"])
    return (band + line).properties(title="pass@k per arm (band: lowest to highest seed)", width=420, height=260)


def _first(table: pd.DataFrame, col: str) -> pd.Series:
    return table.groupby("unit")[col].first() if col in table.columns else pd.Series(dtype=object)


#: per control: the metric, and the sentence for an interval above 0, below 0, straddling 0
_CONTROLS = {
    "rl_vs_cooled_base": ("rl_minus_cooled_pass1", (
        "RL's pass@1 is higher than the cooled base's: its narrowing is more than lower temperature alone gives",
        "the cooled base's pass@1 is higher than RL's: lower temperature alone narrows at least as well as RL",
        "RL's pass@1 cannot be told apart from the cooled base's: its narrowing may be no more than lower "
        "temperature gives")),
    "rl_vs_more_sft": ("rl_minus_sft_pass1", (
        "RL's pass@1 is higher than after as many steps of plain SFT: the reward adds more than more training",
        "as many steps of plain SFT give a higher pass@1 than RL",
        "RL's pass@1 cannot be told apart from as many steps of plain SFT")),
}


def controls(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, str]:
    """In words, from the 95% intervals: is RL's pass@1 gain more than a cooler base, or more SFT, gives?"""
    obs = {o.name: o for o in analyse(table, params)}
    out = {}
    for key, (name, (above, below, straddle)) in _CONTROLS.items():
        if obs[name].n == 0:
            out[key] = "not measured in this mode"
            continue
        m = stats.estimate(obs[name], 0.05)
        text = above if m.ci_low > 0 else below if m.ci_high < 0 else straddle
        out[key] = f"{text} ({m.value:+.3f} [{m.ci_low:+.3f}, {m.ci_high:+.3f}])"
    return out


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    served = mode_a(params)
    k = int(params["samples"])
    out: dict[str, Any] = {"mode": "A (served models)" if served else "B (tiny organism trained here)",
                           "largest_k": k, "guess_rate_at_largest_k": round(guess_rate(params), 6)}
    if table.empty:
        return out
    cnt = counts(table)
    for arm in sorted(set(cnt["arm"])):
        out[f"coverage_{arm}"] = round(float(per_problem(cnt, arm, "any")["v"].mean()), 4)
    out["unparseable_share"] = round(float(table["unparseable"].mean()), 4)
    out.update(controls(table, params))
    if served:
        out["truncated_share"] = round(float(table["truncated"].mean()), 4)
        return out
    cooled = table[table["arm"] == "base_cooled"]
    out["cooled_temperature_per_seed"] = [round(float(v), 3) for v in _first(cooled, "temperature")]
    for col in ("pretrain_steps", "rl_reward_start", "rl_reward_end", "train_seconds"):
        out[f"{col}_per_seed"] = [v.item() if hasattr(v, "item") else v for v in _first(table, col)]
    envs = sorted(set(_first(table, "environment")))
    out["environment"] = "; ".join(str(e) for e in envs)
    return out


def seed_means(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Per seed: pass@1 and pass@k of every arm (what the intervals are built from)."""
    cnt = counts(table)
    k = int(params["samples"])
    cols = {}
    for arm in [a for a in ("base", "rl", "base_cooled", "sft") if a in set(cnt["arm"])]:
        for kk in (1, k):
            cols[f"{arm} pass@{kk}"] = per_problem(cnt, arm, kk)["v"].groupby(level="unit").mean()
    return pd.DataFrame(cols).round(4).reset_index() if cols else pd.DataFrame()


def examples(table: pd.DataFrame, n: int = 5, shown: int = 8) -> pd.DataFrame:
    """The first `n` problems of the first unit: what each arm answered (first `shown` draws) and how often right."""
    if table.empty:
        return pd.DataFrame()
    first = table[table["unit"] == table["unit"].min()]
    ids = list(dict.fromkeys(first["instance"]))[:n]
    rows = []
    for pid in ids:
        sub = first[first["instance"] == pid]
        row: dict[str, Any] = {"problem": pid, "asks": sub["text"].iloc[0] if "text" in sub else "",
                               "expected": sub["value"].iloc[0] if "value" in sub else ""}
        for arm, g in sub.groupby("arm", sort=False):
            g = g.sort_values("epoch")
            vals = ["?" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in g["parsed"]]
            row[f"{arm}: first draws"] = " ".join(vals[:shown])
            row[f"{arm}: right"] = f"{int(g['correct'].sum())}/{len(g)}"
        rows.append(row)
    return pd.DataFrame(rows)
