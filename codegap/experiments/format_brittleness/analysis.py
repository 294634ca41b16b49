"""From graded replies to per-task observations, and the descriptive tables of the report.

The unit of evidence is one task (a toolbox and a request) answered in all
three arms, so arms are compared within a task.

The claim's quantity is a share among failures: of the tasks whose free JSON
call is wrong, the share whose reply was format-invalid *and* whose
constrained call is right ("repaired": the failure was the format, not the
reasoning). The claim says that share exceeds one half. Two ways to put it
in numbers, and why the rule uses the second:

- `repaired_share`, the share itself: its confidence sequence runs over the
  failing tasks only, in run order. Whether a task enters depends on that
  task's own outcome, and tasks are i.i.d., so the failing tasks form an
  i.i.d. sequence from the failures' distribution and the sequence is
  anytime-valid for the share (its n counts failures, not tasks). It is
  shown and logged, but a rule cannot use it: a model that never fails has
  no failures, the share has n = 0, and its verdict could never be decided.
- `repair_balance`, per task: +1 when repaired, -1 when the free call is
  wrong and not repaired, 0 when the free call is right. Its mean is
  P(repaired) - P(failed, not repaired) = P(failed) x (2 x share - 1), which
  is above 0 exactly when the share is above 0.5: the same hypothesis, as an
  ordinary per-task mean with bounds [-1, 1] over every task.

What it gives (with `free_format_invalid > 0.1`, the second condition, "the
model breaks the format often"): a model without the limitation has no
format failures (invalid share 0: does not hold); one that always writes
valid JSON with wrong arguments has balance -1 and invalid share 0 (does not
hold); one that always writes invalid JSON has invalid share 1 and balance
+1 if the constraint makes its calls right (holds), -1 if its constrained
calls are wrong too (does not hold: the format was not what failed it).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from codegap import stats
from codegap.stats import Observations, observations, paired_differences

ARMS = ("free_json", "grammar_json", "plain")


def per_task(table: pd.DataFrame) -> pd.DataFrame:
    """One row per complete task (all three arms answered): correctness, validity, truncation per arm."""
    if table.empty:
        return pd.DataFrame()
    t = table[table["arm"].isin(ARMS)]
    wide = t.pivot_table(index="unit", columns="arm", values=["correct", "unparseable", "truncated"],
                         aggfunc="first")
    wide.columns = [f"{col}_{arm}" for col, arm in wide.columns]
    need = [f"correct_{a}" for a in ARMS]
    if not all(c in wide.columns for c in need):
        return pd.DataFrame()
    wide = wide.dropna(subset=need).astype(bool).sort_index()
    wide["repaired"] = wide["unparseable_free_json"] & wide["correct_grammar_json"]
    wide["free_failed"] = ~wide["correct_free_json"]
    return wide


def analyse(table: pd.DataFrame, params: dict[str, Any]) -> list[Observations]:
    w = per_task(table)
    col = (lambda name: [float(v) for v in w[name]]) if len(w) else (lambda name: [])
    balance = [1.0 if r else (-1.0 if f else 0.0) for r, f in zip(w["repaired"], w["free_failed"])] if len(w) else []
    failed = w[w["free_failed"]] if len(w) else w
    trunc = ([(a + b + c) / 3 for a, b, c in zip(*(col(f"truncated_{arm}") for arm in ARMS))] if len(w) else [])
    return [
        observations("free_accuracy", col("correct_free_json"), unit="task",
                     note="free JSON: format-valid and the right call"),
        observations("grammar_accuracy", col("correct_grammar_json"), unit="task",
                     note="JSON under the schema constraint (structured output / llama.cpp grammar): the right call"),
        observations("plain_accuracy", col("correct_plain"), unit="task",
                     note="in plain words: names the right tool and states every value (lenient)"),
        observations("free_format_invalid", col("unparseable_free_json"), unit="task",
                     note="free JSON replies that are not a JSON call of the schema"),
        observations("grammar_format_invalid", col("unparseable_grammar_json"), unit="task",
                     note="constrained replies that are not a JSON call of the schema (cut off, or not constrained)"),
        observations("truncation", trunc, unit="task", note="share of a task's three replies cut off by the token budget"),
        observations("repair_balance", balance, bounds=(-1.0, 1.0), unit="task",
                     note="+1 free call format-invalid and constrained call right, -1 free call wrong otherwise, "
                          "0 free call right; above 0 exactly when the repaired share exceeds one half"),
        observations("repaired_share", [float(v) for v in failed["repaired"]] if len(failed) else [],
                     unit="failed free-JSON task",
                     note="of tasks whose free JSON call is wrong: format-invalid and right under the constraint"),
        paired_differences("grammar_minus_free", col("correct_grammar_json"), col("correct_free_json"), unit="task",
                           note="constrained minus free JSON accuracy, same task and prompt"),
    ]


def accuracy_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per arm: accuracy (Wilson 95%, descriptive), format-invalid and truncated counts."""
    rows = []
    for arm in ARMS:
        g = table[table["arm"] == arm] if len(table) else table
        k, n = (int(g["correct"].sum()), len(g)) if len(g) else (0, 0)
        lo, hi = stats.wilson(k, n)
        rows.append({"arm": arm, "accuracy": k / n if n else None, "ci_low": lo, "ci_high": hi, "n": n,
                     "format-invalid / unparseable": int(g["unparseable"].sum()) if n else 0,
                     "truncated": int(g["truncated"].sum()) if n else 0})
    return pd.DataFrame(rows)


def _failure(parsed: Any, correct: bool) -> str:
    if correct:
        return "right"
    if not isinstance(parsed, dict):
        return "unknown"
    if "format" in parsed and parsed["format"] != "valid":
        return f"format: {parsed['format']}"
    wrong = parsed.get("wrong") or []
    return "content: wrong tool" if "tool" in wrong else "content: wrong value"


def failure_table(table: pd.DataFrame) -> pd.DataFrame:
    """How each JSON arm's replies fail: right / format (no JSON, JSON inside text, not the schema) / content."""
    t = table[table["arm"].isin(("free_json", "grammar_json"))] if len(table) else table
    if t.empty:
        return pd.DataFrame(columns=["outcome"])
    kinds = [_failure(p, bool(c)) for p, c in zip(t["parsed"], t["correct"])]
    out = pd.DataFrame({"arm": t["arm"].values, "outcome": kinds})
    return out.groupby(["outcome", "arm"]).size().unstack(fill_value=0).reset_index()


def transition_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per task, free JSON outcome against constrained outcome (counts): where the constraint helps or hurts."""
    w = per_task(table)
    if w.empty:
        return pd.DataFrame()
    free = w.apply(lambda r: "right" if r["correct_free_json"] else
                   ("format-invalid" if r["unparseable_free_json"] else "valid, wrong call"), axis=1)
    grammar = w["correct_grammar_json"].map({True: "constrained right", False: "constrained wrong"})
    return pd.crosstab(free.rename("free JSON"), grammar).reset_index()


def tool_table(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per tool and arm (descriptive)."""
    if table.empty or "tool" not in table.columns:
        return pd.DataFrame()
    return table.pivot_table(index="tool", columns="arm", values="correct", aggfunc="mean").reset_index()


def details(table: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    w = per_task(table)
    out: dict[str, Any] = {"tasks": int(len(w))}
    if len(w):
        out["accuracy"] = {arm: round(float(w[f"correct_{arm}"].mean()), 4) for arm in ARMS}
        out["free_failures"] = int(w["free_failed"].sum())
        out["free_failures_repaired"] = int(w["repaired"].sum())
        out["truncated_share"] = {arm: round(float(w[f"truncated_{arm}"].mean()), 4) for arm in ARMS}
        kinds = [_failure(p, bool(c)) for p, c, a in zip(table["parsed"], table["correct"], table["arm"])
                 if a == "free_json"]
        out["free_json_outcomes"] = {k: kinds.count(k) for k in sorted(set(kinds))}
    return out
