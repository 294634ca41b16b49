"""Iterative execution: can a model carry out k dependent steps "in its head"?

Instances are generated fresh from a seed, with unusual constants so no answer
can be recalled: a straight-line program (`b = a * 3`, `c = b - 17`, ...) or a
modular recurrence (`a(n) = (5*a(n-1) + 7) mod 23`). The depth knob is the
number of dependent steps. The answer is computed by the generator itself, so
every instance carries a verified solution.

Arms (same instances in each):
- `direct`: the final value only, no working;
- `cot`: write every intermediate value, then the final answer;
- `code`: write a Python program; the sandbox runs it and its last printed
  integer is the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Sequence

from codegap.tasks.common import Graded, extract_code, last_int_line, make_rng, parse_int_answer

Kind = Literal["program", "recurrence"]
Arm = Literal["direct", "cot", "code"]
KINDS: tuple[Kind, ...] = ("program", "recurrence")
ARMS: tuple[Arm, ...] = ("direct", "cot", "code")

#: Values stay within this bound so a step never needs big-number arithmetic:
#: the difficulty must come from the number of steps, not from digit count.
MAX_ABS = 999
_VARS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Instance:
    """One generated procedure and its verified result."""

    id: str
    kind: Kind
    depth: int
    text: str  # the procedure as shown to the model
    question: str  # what to compute
    answer: int
    trace: tuple[int, ...]  # every intermediate value, for checking and analysis


def _program(rng: Any, depth: int) -> tuple[str, str, int, tuple[int, ...]]:
    """A chain of assignments; each step uses the previous variable, sometimes an older one too."""
    names = [_VARS[i % 26] + ("" if i < 26 else str(i // 26)) for i in range(depth + 1)]
    values = [rng.randint(3, 29)]
    lines = [f"{names[0]} = {values[0]}"]
    for i in range(1, depth + 1):
        prev = values[-1]
        for _ in range(100):
            op = rng.choice(["+", "-", "*", "+var", "-var"])
            if op in ("+var", "-var") and i >= 2:
                j = rng.randrange(0, i - 1)  # an older variable, so the chain has real dependencies
                val = prev + values[j] if op == "+var" else prev - values[j]
                expr = f"{names[i - 1]} {op[0]} {names[j]}"
            elif op == "*":
                c = rng.randint(2, 4)
                val, expr = prev * c, f"{names[i - 1]} * {c}"
            elif op in ("+", "-"):
                c = rng.choice([x for x in range(3, 98) if x % 10 not in (0, 5)])
                val = prev + c if op == "+" else prev - c
                expr = f"{names[i - 1]} {op} {c}"
            else:
                continue
            if abs(val) <= MAX_ABS:
                break
        else:  # pragma: no cover - 100 draws always find a small value in practice
            c = rng.randint(3, 9)
            val, expr = prev - c, f"{names[i - 1]} - {c}"
        values.append(val)
        lines.append(f"{names[i]} = {expr}")
    text = "\n".join(lines)
    return text, f"What is the value of {names[depth]}?", values[-1], tuple(values)


def _recurrence(rng: Any, depth: int) -> tuple[str, str, int, tuple[int, ...]]:
    """a(n) = (m * a(n-1) + c) mod p with unusual constants; small values, many steps."""
    p = rng.choice([13, 17, 19, 23, 29, 31, 37])
    m = rng.randint(2, 9)
    c = rng.randint(1, p - 1)
    a0 = rng.randint(1, p - 1)
    values = [a0]
    for _ in range(depth):
        values.append((m * values[-1] + c) % p)
    text = f"a(0) = {a0}\na(n) = ({m} * a(n-1) + {c}) mod {p}   for n >= 1"
    return text, f"What is a({depth})?", values[-1], tuple(values)


def generate(seed: int, depth: int, n: int, kinds: Sequence[Kind] = ("program",)) -> list[Instance]:
    """`n` instances of `depth` steps, cycling through `kinds`; a pure function of its arguments."""
    if depth < 1:
        raise ValueError(f"iterative.generate: depth must be >= 1, got {depth}")
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"iterative.generate: kinds must be a non-empty subset of {KINDS}, got {kinds!r}")
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        rng = make_rng(seed, "iterative", kind, depth, i)
        text, question, answer, trace = (_program if kind == "program" else _recurrence)(rng, depth)
        out.append(Instance(f"{kind}-d{depth}-{i}", kind, depth, text, question, answer, trace))
    return out


def evaluate_procedure(inst: Instance) -> int:
    """Re-run the instance's text with Python, independently of the generator's arithmetic.

    Used by the tests to verify every generated answer: the program text is
    valid Python as shown; the recurrence is rewritten with `%`.
    """
    if inst.kind == "program":
        env: dict[str, Any] = {}
        exec(inst.text, {"__builtins__": {}}, env)  # noqa: S102 - our own generated text
        return int(list(env.values())[-1])
    head, rule = inst.text.split("\n")
    a = int(head.split("=")[1])
    body = rule.split("=", 1)[1].split("for")[0].replace("mod", "%").replace("a(n-1)", "a")
    for _ in range(inst.depth):
        a = eval(body, {"__builtins__": {}}, {"a": a})  # noqa: S307 - our own generated text
    return int(a)


# --- prompts -----------------------------------------------------------------------

_INTRO = {
    "program": "Here is a short program. Each line assigns a new variable using integer arithmetic.",
    "recurrence": "Here is a recurrence over the integers (mod is the remainder, always between 0 and p-1).",
}


def prompt(inst: Instance, arm: Arm) -> str:
    """The user message for one arm; all arms see the same procedure and question."""
    head = f"{_INTRO[inst.kind]}\n\n{inst.text}\n\n{inst.question}\n\n"
    if arm == "direct":
        # Measured on qwen2.5-coder-0.5b: an explicit "Answer: <integer>" template made it echo a
        # constant from the prompt far more often than this plainer request.
        return head + "Reply with only the number, no explanation."
    if arm == "cot":
        return head + (
            "Work it out step by step: write each intermediate value on its own line. "
            "Then finish with exactly one line: Answer: <integer>"
        )
    if arm == "code":
        return head + (
            "Do not compute it yourself. Write a complete Python program that carries out every step "
            "above and then prints only the value asked for. Reply with one ```python code block and nothing else."
        )
    raise ValueError(f"unknown arm {arm!r}; expected one of {ARMS}")


def max_tokens(arm: Arm, depth: int) -> int:
    """A token budget per arm that grows with the work the arm must write out."""
    if arm == "direct":
        return 16
    if arm == "cot":
        return min(60 + 28 * depth, 600)
    return min(80 + 16 * depth, 400)


# --- scoring -------------------------------------------------------------------------


def grade_text(completion: str, answer: int) -> Graded:
    """Direct and CoT replies: the declared integer must equal the answer exactly."""
    value = parse_int_answer(completion)
    if value is None:
        return Graded(False, True, None, "no 'Answer: <integer>' found")
    return Graded(value == answer, False, value)


def grade_code(completion: str, answer: int, *, timeout_s: float = 5.0) -> Graded:
    """Code replies: run the program in the sandbox; its last printed integer must equal the answer."""
    from codegap.sandbox import run_python

    code = extract_code(completion)
    if code is None:
        return Graded(False, True, None, "no Python code found")
    res = run_python(code, timeout_s=timeout_s, cpu_s=int(timeout_s) + 1)
    if not res.ok:
        why = res.reason or f"exit {res.returncode}"
        return Graded(False, False, None, f"program failed: {why}: {res.stderr.strip()[-200:]}")
    value = last_int_line(res.stdout)
    if value is None:
        return Graded(False, False, None, f"program printed no final integer: {res.stdout.strip()[-80:]!r}")
    return Graded(value == answer, False, value)


def grade(completion: str, answer: int, arm: Arm) -> Graded:
    return grade_code(completion, answer) if arm == "code" else grade_text(completion, answer)


# --- inspect task ----------------------------------------------------------------------


def samples(seed: int, n: int, depths: Sequence[int], arms: Sequence[Arm] = ARMS,
            kinds: Sequence[Kind] = ("program",)) -> list[Any]:
    """inspect `Sample`s: every instance once per arm, metadata naming arm, depth and instance."""
    from inspect_ai.dataset import Sample

    out = []
    for depth in depths:
        for inst in generate(seed, depth, n, kinds):
            for arm in arms:
                meta = {"arm": arm, "depth": depth, "kind": inst.kind, "instance": inst.id,
                        "target": inst.answer, "max_tokens": max_tokens(arm, depth)}
                out.append(Sample(id=f"{inst.id}-{arm}", input=prompt(inst, arm), target=str(inst.answer),
                                  metadata=meta))
    return out


def task(seed: int = 0, n: int = 10, depths: Sequence[int] = (1, 3, 6), arms: Sequence[Arm] = ARMS,
         kinds: Sequence[Kind] = ("program",)) -> Any:
    """The inspect Task: one generation per sample with the arm's token budget, exact scoring."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset

    from codegap.tasks.common import budgeted_generate, graded_scorer

    return Task(
        dataset=MemoryDataset(samples(seed, n, depths, arms, kinds), name="iterative-execution"),
        solver=budgeted_generate(),
        scorer=graded_scorer(lambda completion, meta: grade(completion, int(meta["target"]), meta["arm"])),
        name="iterative_execution",
    )


# --- metrics -----------------------------------------------------------------------------


def metrics(df: Any, seed: int = 0) -> list[Any]:
    """Accuracy drops from the shallowest to the deepest depth, and code vs direct at the deepest.

    The verdict rule reads `in_head_drop` (do the arms that compute without
    executing anything -- direct and CoT -- degrade with depth?) and
    `code_drop` (does executed code not degrade?). `in_head_drop` scores each
    instance by the mean of its direct and CoT correctness (0, 0.5 or 1), so an
    instance counts once and the bootstrap resamples instances, not replies.
    """
    from codegap import stats
    from codegap.tasks.common import arm_gap_metric, drop_metric

    lo, hi = int(df["depth"].min()), int(df["depth"].max())
    arms = set(df["arm"])
    out = []
    if {"direct", "cot"} <= arms:
        head = (df[df["arm"].isin(["direct", "cot"])].groupby(["instance", "depth"])["correct"]
                .mean().reset_index())
        out.append(stats.diff_metric(
            "in_head_drop", head[head["depth"] == lo]["correct"].tolist(), head[head["depth"] == hi]["correct"].tolist(),
            seed=seed, note=f"mean of direct and CoT per instance: depth={lo} minus depth={hi}"))
    out += [drop_metric(f"{arm}_drop", df, arm=arm, level="depth", easy=lo, hard=hi, seed=seed)
            for arm in ARMS if arm in arms]
    if {"code", "direct"} <= arms:
        out.append(arm_gap_metric("code_minus_direct_deepest", df, better="code", worse="direct",
                                  where={"depth": hi}, seed=seed))
    return out
