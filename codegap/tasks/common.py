"""Helpers shared by the experiment tasks: seeding, answer parsing, log -> table.

Why one module: every experiment must treat a malformed answer the same way
(scored wrong, and counted separately as "unparseable"), derive instances from
a seed the same way, and turn an inspect `EvalLog` into the same tidy
per-instance table, so the notebooks stay short and comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import hashlib
import random
import re
from typing import Any, Iterable, Sequence

from codegap import stats
from codegap.verdicts import Metric

#: The explicit answer marker every prompt asks for ("Answer: 42"), tolerant of
#: markdown emphasis ("**Answer:** 42") and a trailing full stop.
_MARKER = re.compile(r"(?:\*\*|__)?\banswer\b(?:\*\*|__)?\s*(?:is\s*[:=]?|[:=])\s*(?:\*\*|__)?\s*(?P<val>[^\n]*)", re.I)
_BOXED = re.compile(r"\\boxed\{(?P<val>[^{}]*)\}")
_INT = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$|^[+-]?\d+$")


def make_rng(seed: int, *parts: Any) -> random.Random:
    """A `random.Random` that depends only on the seed and the labels given.

    Python's `hash()` of strings changes between processes, so the labels are
    hashed with SHA-256: the same (seed, parts) gives the same instances on any
    machine and in any process.
    """
    key = "|".join([str(seed), *map(str, parts)]).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


@dataclass(frozen=True)
class Graded:
    """The outcome of scoring one reply: exact correctness, and whether it could be parsed at all."""

    correct: bool
    unparseable: bool
    value: Any
    detail: str = ""

    def as_metadata(self) -> dict[str, Any]:
        return {"unparseable": self.unparseable, "value": self.value, "detail": self.detail}


def _clean_token(raw: str) -> str:
    """Strip markdown, LaTeX and punctuation around a one-token answer."""
    val = raw.strip()
    val = re.sub(r"^\$+|\$+$", "", val).strip()
    val = val.strip("*_`'\" ").rstrip(".").strip("*_`'\" ")
    return val


def answer_text(completion: str) -> str | None:
    """The text after the last answer marker ("Answer:" or \\boxed{}), if any.

    The last marker wins because a chain of thought may restate the question's
    own "Answer:" format before the real final line.
    """
    hits: list[tuple[int, str]] = [(m.start(), m.group("val")) for m in _MARKER.finditer(completion)]
    hits += [(m.start(), m.group("val")) for m in _BOXED.finditer(completion)]
    if not hits:
        return None
    hits.sort()
    return _clean_token(hits[-1][1])


_LOOSE_INT = re.compile(r"(?<![\w.])[+-]?\d+(?:,\d{3})*(?![\w]|\.\d|,\d)")


def _final_line(completion: str) -> str:
    """The reply's last line; for an equation ("53 + 50 = 103") only what follows the last '='."""
    lines = [ln.strip() for ln in completion.strip().splitlines() if ln.strip() and not ln.strip().startswith("```")]
    last = lines[-1] if lines else ""
    return last.rsplit("=", 1)[-1]


def parse_int_answer(completion: str) -> int | None:
    """The integer the model gave as its answer, or None when it is malformed.

    Accepted, in this order: the value after the last "Answer:" (or
    \\boxed{}) marker, which must be exactly one integer; else the reply's
    final line, when it contains exactly one integer ("Therefore, b is 63.").
    Anything else -- a marker followed by words or by several numbers, a final
    line with none or several -- is unparseable: guessing which number the
    model meant would reward answers it did not give.
    """
    text = answer_text(completion)
    if text is not None:
        # "Answer: x = 42" is common; take the value after a last '='.
        text = _clean_token(text.rsplit("=", 1)[-1])
        text = text.replace(" ", "") if re.fullmatch(r"[+-]?\s*[\d,]+", text) else text
        return int(text.replace(",", "")) if _INT.match(text) else None
    found = _LOOSE_INT.findall(_final_line(completion).replace("`", " ").replace("*", " "))
    if len(found) != 1:
        return None
    return int(found[0].replace(",", ""))


def parse_token_answer(completion: str, allowed: str) -> str | None:
    """A one-word answer made only of `allowed` characters (case-folded), or None.

    Taken after the last answer marker; without a marker, a reply that is just
    that word, or (for digit answers) a final line holding exactly one number.
    """
    text = answer_text(completion)
    if text is None:
        text = _clean_token(completion)
        if set(allowed) <= set("0123456789") and not (text and all(ch in allowed for ch in text)):
            found = _LOOSE_INT.findall(_final_line(completion).replace("`", " ").replace("*", " "))
            text = found[0].replace(",", "") if len(found) == 1 else ""
    text = text.lower()
    if not text or any(ch not in allowed for ch in text):
        return None
    return text


_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(?P<code>.*?)(?:```|\Z)", re.S | re.I)


def extract_code(completion: str) -> str | None:
    """The Python program in a reply: the longest fenced block, else the whole reply if it compiles.

    Small models often forget to close the fence when they hit the token limit,
    so an unclosed final block still counts; a reply with no code at all is
    unparseable rather than "wrong code".
    """
    blocks = [m.group("code") for m in _FENCE.finditer(completion) if m.group("code").strip()]
    if blocks:
        return max(blocks, key=len)
    try:
        compile(completion, "<reply>", "exec")
    except (SyntaxError, ValueError):
        return None
    return completion if completion.strip() else None


def last_int_line(stdout: str) -> int | None:
    """The integer on the last non-empty line a program printed, if it is one."""
    lines = [ln.strip() for ln in stdout.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    return parse_int_answer(lines[-1])


# --- logs -> tidy tables -------------------------------------------------------------


def samples_frame(logs: Iterable[Any]) -> "Any":
    """One row per scored sample of one or more inspect EvalLogs.

    Columns: the sample's metadata (arm, difficulty, ...), `correct` (bool),
    `unparseable` (bool), `answer`, `epoch`, `sample_id`, `model`, and every
    key of the score's metadata. A sample without a score (an error) counts as
    wrong and unparseable so it can never inflate accuracy.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for log in logs:
        if log.status != "success":
            msg = getattr(log.error, "message", log.error)
            raise RuntimeError(f"eval of task {log.eval.task!r} ended with status {log.status!r}: {msg}")
        for s in log.samples or []:
            row: dict[str, Any] = {"sample_id": s.id, "epoch": s.epoch, "model": log.eval.model}
            row.update(s.metadata or {})
            score = next(iter((s.scores or {}).values()), None)
            if score is None:
                row.update(correct=False, unparseable=True, answer=None)
            else:
                row.update(score.metadata or {})
                row["correct"] = score.value == "C" or score.value is True or score.value == 1
                row["answer"] = score.answer
                row.setdefault("unparseable", False)
            rows.append(row)
    return pd.DataFrame(rows)


def accuracy_table(df: "Any", by: Sequence[str]) -> "Any":
    """Accuracy, Wilson 95% interval, n and unparseable count per group."""
    import pandas as pd

    out = []
    for key, g in df.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        k, n = int(g["correct"].sum()), len(g)
        lo, hi = stats.wilson(k, n)
        out.append({**dict(zip(by, key)), "accuracy": k / n, "ci_low": lo, "ci_high": hi, "n": n,
                    "unparseable": int(g["unparseable"].sum())})
    return pd.DataFrame(out)


def drop_metric(name: str, df: "Any", *, arm: str, level: str, easy: Any, hard: Any, seed: int = 0) -> Metric:
    """Accuracy at the easiest level minus at the hardest, for one arm, with a bootstrap CI."""
    a = df[(df["arm"] == arm) & (df[level] == easy)]["correct"].astype(float).tolist()
    b = df[(df["arm"] == arm) & (df[level] == hard)]["correct"].astype(float).tolist()
    return stats.diff_metric(name, a, b, seed=seed, note=f"{arm}: {level}={easy} minus {level}={hard}")


def arm_gap_metric(name: str, df: "Any", *, better: str, worse: str, where: dict[str, Any], seed: int = 0) -> Metric:
    """Accuracy of arm `better` minus arm `worse` on the same instances (paired bootstrap)."""
    sub = df
    for col, val in where.items():
        sub = sub[sub[col] == val]
    a = sub[sub["arm"] == better].sort_values("instance")["correct"].astype(float).tolist()
    b = sub[sub["arm"] == worse].sort_values("instance")["correct"].astype(float).tolist()
    paired = len(a) == len(b)
    cond = ", ".join(f"{k}={v}" for k, v in where.items())
    return stats.diff_metric(name, a, b, seed=seed, paired=paired, note=f"{better} minus {worse} at {cond}")


def accuracy_chart(table: "Any", *, x: str, color: str = "arm", title: str, y_title: str = "accuracy",
                   column: str | None = None) -> "Any":
    """Accuracy vs a difficulty level, one line per arm, with 95% Wilson bars."""
    import altair as alt

    base = alt.Chart(table).encode(
        x=alt.X(f"{x}:O", title=x),
        color=alt.Color(f"{color}:N", title=color),
    )
    lines = base.mark_line(point=True).encode(
        y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1])),
        tooltip=[x, color, "accuracy", "ci_low", "ci_high", "n", "unparseable"],
    )
    bars = base.mark_errorbar().encode(y="ci_low:Q", y2="ci_high:Q")
    chart = lines + bars
    if column:
        chart = chart.facet(column=alt.Column(f"{column}:N", title=column))
    return chart.properties(title=title)


# --- inspect building blocks -------------------------------------------------------------


def budgeted_generate() -> Any:
    """A solver that generates once with the sample's own `max_tokens` (from its metadata).

    One task can then hold every arm: a direct answer gets a few tokens, a
    chain of thought gets room in proportion to the work, and the run stays
    inside the time budget of the embedded CPU model.
    """
    from inspect_ai.solver import Generate, TaskState, solver

    @solver(name="budgeted_generate")
    def _make() -> Any:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            budget = state.metadata.get("max_tokens")
            if budget is None:
                return await generate(state)
            return await generate(state, max_tokens=int(budget))

        return solve

    return _make()


def graded_scorer(grade_fn: Any) -> Any:
    """An exact scorer from `grade_fn(completion, metadata) -> Graded`-like object.

    The grade function runs in a worker thread because grading code answers
    starts a sandboxed subprocess, which must not block the event loop that
    is streaming other samples.
    """
    import anyio
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer, stderr
    from inspect_ai.solver import TaskState

    @scorer(metrics=[accuracy(), stderr()], name="exact")
    def _make() -> Any:
        async def score(state: TaskState, target: Target) -> Score:
            graded = await anyio.to_thread.run_sync(grade_fn, state.output.completion, state.metadata)
            return Score(
                value=CORRECT if graded.correct else INCORRECT,
                answer=None if graded.value is None else str(graded.value),
                explanation=graded.detail or None,
                metadata=graded.as_metadata(),
            )

        return score

    return _make()


def scripted_model(answer: Any) -> Any:
    """A `mockllm` model whose reply is `answer(messages)` (a list of inspect chat messages).

    For tests and smoke runs without a real model: an oracle that answers from
    the generator's own solutions must make every arm score 1.0. Usage is set
    explicitly because mockllm would otherwise download a tokenizer to count it.
    """
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    def _reply(messages: Any, tools: Any, tool_choice: Any, config: Any) -> Any:
        out = ModelOutput.from_content(model="mockllm", content=str(answer(messages)))
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    return get_model("mockllm/model", custom_outputs=_reply)


def metrics_frame(metrics: Iterable[Metric]) -> "Any":
    """The emitted metrics as a small table for the notebook."""
    import pandas as pd

    return pd.DataFrame([{"metric": m.name, "value": round(m.value, 3), "95% CI": f"[{m.ci_low:.3f}, {m.ci_high:.3f}]",
                          "n": m.n, "note": m.note} for m in metrics])
