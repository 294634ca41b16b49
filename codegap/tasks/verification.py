"""Verification gap: does a model fix its own code without an external check?

Instances are small Python functions specified in words: a pipeline of list
operations with fresh constants ("multiply every element by 7 and subtract 3,
then keep the elements whose remainder mod 5 is 2, then ..."), so the answer
cannot be recalled, only derived. Each instance carries its own reference
implementation (the pipeline itself) and hidden tests computed from it. The
difficulty knob is the number of steps.

Arms, all on the same instances and starting from the same first answer:
- `single`: the first answer (round 0);
- `intrinsic`: `rounds` rounds of "review your function and fix it if needed",
  with no information about whether it is right (Huang et al. 2023's setting);
- `feedback`: `rounds` rounds in which the hidden *feedback* tests are run in
  the sandbox and the first failure (input, expected, got) is shown. A round
  whose answer already passes stops the chain, as a test suite would.

An answer is correct when it passes every test: the visible example, the
feedback tests and a held-out set that feedback never reveals (so copying
expected outputs from the feedback into the code cannot pass).
"""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from codegap import stats
from codegap.sandbox import run_python
from codegap.tasks.common import extract_code, make_rng
from codegap.verdicts import Metric

FUNC = "transform"
ROUND_MAX_TOKENS = 320
N_FEEDBACK_TESTS = 4
N_HELDOUT_TESTS = 5
RESULT_MARK = "__CODEGAP_RESULTS__"

# --- the operations a pipeline is made of ---------------------------------------------------


def _nonzero(rng: Any, lo: int, hi: int) -> int:
    return rng.choice([v for v in range(lo, hi + 1) if v != 0])


def _signed(v: int) -> str:
    return f"+ {v}" if v >= 0 else f"- {-v}"


@dataclass(frozen=True)
class Step:
    """One list operation with its constants; `apply` is the reference, `describe` the spec."""

    kind: str
    params: tuple[int, ...] = ()

    def apply(self, xs: list[int]) -> list[int]:
        p = self.params
        match self.kind:
            case "affine":
                return [x * p[0] + p[1] for x in xs]
            case "keep_mod":
                return [x for x in xs if x % p[0] == p[1]]
            case "add_pos":
                return [x + p[0] * i for i, x in enumerate(xs)]
            case "reverse":
                return xs[::-1]
            case "drop_first":
                return xs[p[0]:]
            case "every_kth":
                return xs[p[1]::p[0]]
            case "running_sum":
                out, total = [], 0
                for x in xs:
                    total += x
                    out.append(total)
                return out
            case "clamp":
                return [min(max(x, p[0]), p[1]) for x in xs]
            case "sort_desc":
                return sorted(xs, reverse=True)
            case "neighbour_diff":
                return [b - a for a, b in zip(xs, xs[1:])]
            case "div_multiple":
                return [x // p[0] if x % p[0] == 0 else x for x in xs]
            case "dedupe":
                seen: set[int] = set()
                return [x for x in xs if not (x in seen or seen.add(x))]
            case "distance":
                return [abs(x - p[0]) for x in xs]
        raise ValueError(f"unknown step kind {self.kind!r}")

    def describe(self) -> str:
        p = self.params
        match self.kind:
            case "affine":
                return f"Replace every element x by x * {p[0]} {_signed(p[1])}."
            case "keep_mod":
                return (f"Keep only the elements whose remainder when divided by {p[0]} is {p[1]} "
                        "(the non-negative remainder, as Python's % operator gives); drop the others.")
            case "add_pos":
                return (f"Add {p[0]} times its 0-based position to every element "
                        f"(the element at position i becomes x + {p[0]} * i).")
            case "reverse":
                return "Reverse the order of the list."
            case "drop_first":
                return f"Remove the first {p[0]} elements (a shorter list becomes empty)."
            case "every_kth":
                return (f"Keep only the elements at positions {p[1]}, {p[1] + p[0]}, {p[1] + 2 * p[0]}, ... "
                        f"(0-based: every {p[0]}th element starting at position {p[1]}).")
            case "running_sum":
                return ("Replace the list by its running totals (the element at position i becomes the sum "
                        "of the elements at positions 0 to i).")
            case "clamp":
                return (f"Clamp every element into the range {p[0]} to {p[1]} (smaller values become {p[0]}, "
                        f"larger values become {p[1]}).")
            case "sort_desc":
                return "Sort the list from largest to smallest."
            case "neighbour_diff":
                return ("Replace the list by the differences of neighbouring elements: the element at position i "
                        "becomes (element i+1) - (element i), so the list gets one element shorter "
                        "(a list with fewer than two elements becomes empty).")
            case "div_multiple":
                return f"Divide every element that is a multiple of {p[0]} by {p[0]}; leave the others unchanged."
            case "dedupe":
                return "Remove repeated values, keeping only the first occurrence of each value."
            case "distance":
                return f"Replace every element x by its distance from {p[0]}, that is abs(x - ({p[0]}))."
        raise ValueError(f"unknown step kind {self.kind!r}")

    def code(self, var: str = "xs") -> str:
        """The step as one line of Python (used to build a reference solution for tests)."""
        p = self.params
        lines: dict[str, Callable[[], str]] = {
            "affine": lambda: f"{var} = [x * {p[0]} + ({p[1]}) for x in {var}]",
            "keep_mod": lambda: f"{var} = [x for x in {var} if x % {p[0]} == {p[1]}]",
            "add_pos": lambda: f"{var} = [x + {p[0]} * i for i, x in enumerate({var})]",
            "reverse": lambda: f"{var} = {var}[::-1]",
            "drop_first": lambda: f"{var} = {var}[{p[0]}:]",
            "every_kth": lambda: f"{var} = {var}[{p[1]}::{p[0]}]",
            "running_sum": lambda: f"{var} = [sum({var}[:i + 1]) for i in range(len({var}))]",
            "clamp": lambda: f"{var} = [min(max(x, {p[0]}), {p[1]}) for x in {var}]",
            "sort_desc": lambda: f"{var} = sorted({var}, reverse=True)",
            "neighbour_diff": lambda: f"{var} = [b - a for a, b in zip({var}, {var}[1:])]",
            "div_multiple": lambda: f"{var} = [x // {p[0]} if x % {p[0]} == 0 else x for x in {var}]",
            "dedupe": lambda: f"{var} = list(dict.fromkeys({var}))",
            "distance": lambda: f"{var} = [abs(x - ({p[0]})) for x in {var}]",
        }
        if self.kind not in lines:
            raise ValueError(f"unknown step kind {self.kind!r}")
        return lines[self.kind]()


#: Steps that can shorten the list; at most one per pipeline so outputs stay non-trivial.
SHRINKING = {"keep_mod", "drop_first", "every_kth", "neighbour_diff", "dedupe"}


def _random_step(rng: Any) -> Step:
    kind = rng.choice(["affine", "keep_mod", "add_pos", "reverse", "drop_first", "every_kth", "running_sum",
                       "clamp", "sort_desc", "neighbour_diff", "div_multiple", "dedupe", "distance"])
    match kind:
        case "affine":
            return Step(kind, (rng.choice([2, 3, 4, 6, 7, 8, 9, -2, -3]), _nonzero(rng, -13, 13)))
        case "keep_mod":
            m = rng.randint(3, 5)
            return Step(kind, (m, rng.randrange(m)))
        case "add_pos":
            return Step(kind, (rng.randint(2, 7),))
        case "drop_first":
            return Step(kind, (rng.randint(1, 2),))
        case "every_kth":
            return Step(kind, (2, rng.randint(0, 1)))
        case "clamp":
            lo = rng.randint(-6, 8)
            return Step(kind, (lo, lo + rng.randint(12, 30)))
        case "div_multiple":
            return Step(kind, (rng.choice([3, 4, 5, 6, 7]),))
        case "distance":
            return Step(kind, (_nonzero(rng, -9, 17),))
    return Step(kind)


# --- instances -----------------------------------------------------------------------------------


TestCase = tuple[list[int], list[int]]


@dataclass(frozen=True)
class Problem:
    """A function specified in words, with a visible example and hidden tests."""

    id: str
    steps: tuple[Step, ...]
    example: TestCase
    feedback_tests: tuple[TestCase, ...]
    heldout_tests: tuple[TestCase, ...]

    @property
    def difficulty(self) -> int:
        return len(self.steps)

    def reference(self, xs: list[int]) -> list[int]:
        for step in self.steps:
            xs = step.apply(list(xs))
        return xs

    @property
    def all_tests(self) -> tuple[TestCase, ...]:
        return (self.example, *self.feedback_tests, *self.heldout_tests)

    def reference_code(self) -> str:
        """A correct solution, written from the steps' own code lines."""
        body = "\n".join(f"    {s.code()}" for s in self.steps)
        return f"def {FUNC}(xs):\n    xs = list(xs)\n{body}\n    return xs\n"

    def to_metadata(self) -> dict[str, Any]:
        return {"problem": json.dumps(asdict(self))}

    @staticmethod
    def from_metadata(meta: dict[str, Any]) -> "Problem":
        raw = json.loads(meta["problem"])
        return Problem(
            id=raw["id"],
            steps=tuple(Step(s["kind"], tuple(s["params"])) for s in raw["steps"]),
            example=(raw["example"][0], raw["example"][1]),
            feedback_tests=tuple((a, b) for a, b in raw["feedback_tests"]),
            heldout_tests=tuple((a, b) for a, b in raw["heldout_tests"]),
        )


def _inputs(rng: Any, count: int) -> list[list[int]]:
    """Test inputs: mostly 4-9 elements with negatives and repeats, plus short edge cases."""
    out: list[list[int]] = [[], [rng.randint(-9, 30)]]
    while len(out) < count:
        length = rng.randint(4, 9)
        xs = [rng.randint(-12, 40) for _ in range(length)]
        if rng.random() < 0.4 and length > 2:
            xs[rng.randrange(length)] = xs[0]  # a repeated value
        out.append(xs)
    return out[:count]


def _acceptable(steps: Sequence[Step], tests: Sequence[TestCase]) -> bool:
    """Reject pipelines whose tests would be weak: mostly empty or constant outputs."""
    if sum(s.kind in SHRINKING for s in steps) > 1:
        return False
    if any(a.kind == b.kind for a, b in zip(steps, steps[1:])):
        return False
    long_outputs = [out for inp, out in tests if len(inp) >= 4]
    if sum(len(out) >= 2 for out in long_outputs) < 0.7 * len(long_outputs):
        return False
    if len({tuple(out) for out in long_outputs}) < len(long_outputs) - 1:
        return False
    # every step must matter on some test (no step that is a no-op on all inputs)
    for i in range(len(steps)):
        without = steps[:i] + steps[i + 1:]
        if all(_apply(without, inp) == out for inp, out in tests):
            return False
    return True


def _apply(steps: Sequence[Step], xs: list[int]) -> list[int]:
    for step in steps:
        xs = step.apply(list(xs))
    return xs


def generate(seed: int, n: int, steps: int = 3) -> list[Problem]:
    """`n` problems of `steps` operations each; a pure function of its arguments."""
    if steps < 1 or n < 0:
        raise ValueError(f"generate: need steps >= 1 and n >= 0, got steps={steps}, n={n}")
    problems = []
    for i in range(n):
        rng = make_rng(seed, "verification", steps, i)
        for _ in range(1000):
            pipeline = tuple(_random_step(rng) for _ in range(steps))
            drawn = _inputs(rng, 1 + N_FEEDBACK_TESTS + N_HELDOUT_TESTS)
            edge, typical = drawn[:2], drawn[2:]
            # the visible example is a typical input; feedback shows typical failures before edge cases
            n_typ_fb = N_FEEDBACK_TESTS - len(edge)
            inputs = [typical[0], *typical[1:1 + n_typ_fb], *edge, *typical[1 + n_typ_fb:]]
            tests = [(xs, _apply(pipeline, xs)) for xs in inputs]
            if _acceptable(pipeline, tests):
                break
        else:  # pragma: no cover - the space of pipelines is large
            raise RuntimeError(f"generate: no acceptable pipeline for seed={seed}, i={i}")
        problems.append(Problem(
            id=f"vg-{seed}-{steps}-{i}",
            steps=pipeline,
            example=tests[0],
            feedback_tests=tuple(tests[1:1 + N_FEEDBACK_TESTS]),
            heldout_tests=tuple(tests[1 + N_FEEDBACK_TESTS:]),
        ))
    return problems


# --- prompts -------------------------------------------------------------------------------------


def prompt(problem: Problem) -> str:
    steps = "\n".join(f"{i}. {s.describe()}" for i, s in enumerate(problem.steps, 1))
    ex_in, ex_out = problem.example
    return (
        f"Write a Python function `{FUNC}(xs)` that takes a list of integers and returns a new list "
        f"of integers, computed by applying these steps in order:\n{steps}\n\n"
        f"Example: {FUNC}({ex_in}) == {ex_out}\n\n"
        "Reply with only one short Python code block that defines the function: no comments, "
        "no docstring, no tests, no prints."
    )


REVIEW_PROMPT = (
    "Review your function above carefully against the specification and find any problems with it. "
    "If you find a problem, fix it. Reply with one Python code block containing the complete "
    "(corrected or unchanged) function."
)


def feedback_prompt(result: "Graded") -> str:
    """What the test harness tells the model: the first failing feedback test only."""
    if result.unparseable:
        return (f"Your reply did not contain a Python function named `{FUNC}` that compiles "
                f"({result.detail}). Reply with one Python code block that defines the function.")
    return (
        f"Your function was run on hidden tests and failed: {result.feedback}\n"
        "Fix the function. Reply with one Python code block containing the complete corrected function."
    )


# --- grading ---------------------------------------------------------------------------------------


@dataclass
class Graded:
    """The outcome of one answer: correct, unparseable, and what the tests saw."""

    correct: bool
    unparseable: bool
    passed: int
    total: int
    feedback_ok: bool  # passes every feedback test
    feedback: str = ""  # first failing feedback test, as shown to the model
    detail: str = ""

    def as_metadata(self) -> dict[str, Any]:
        return asdict(self)


def find_function(completion: str) -> tuple[str | None, str]:
    """The code of a reply if it compiles and defines `transform`, else (None, why)."""
    code = extract_code(completion)
    if code is None:
        return None, "no code found"
    try:
        tree = ast.parse(code, "solution.py")
    except (SyntaxError, ValueError) as exc:
        return None, f"syntax error: {exc.msg if isinstance(exc, SyntaxError) else exc}"
    if not any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == FUNC
               for node in ast.walk(tree)):
        return None, f"no function named {FUNC}"
    return code, ""


_HARNESS = """

import json as _json
def _codegap_run(_inputs):
    _out = []
    for _x in _inputs:
        try:
            _v = {func}(list(_x))
            _out.append({{"ok": True, "value": _v if isinstance(_v, (list, tuple)) else repr(_v)}})
        except BaseException as _e:
            _out.append({{"ok": False, "error": type(_e).__name__ + ": " + str(_e)[:120]}})
    print({mark!r} + _json.dumps(_out, default=repr))
_codegap_run(_json.loads({inputs!r}))
"""


def run_tests(code: str, tests: Sequence[TestCase], *, timeout_s: float = 5.0) -> list[tuple[bool, str]]:
    """Run `code` on every test input in one sandboxed process; (passed, what happened) per test."""
    program = code + _HARNESS.format(func=FUNC, mark=RESULT_MARK, inputs=json.dumps([t[0] for t in tests]))
    res = run_python(program, timeout_s=timeout_s, cpu_s=max(1, int(timeout_s)), mem_mb=256, max_output=50_000)
    line = next((ln for ln in reversed(res.stdout.splitlines()) if ln.startswith(RESULT_MARK)), None)
    if line is None:
        last = res.stderr.strip().splitlines()[-1:] or [res.reason]
        why = "timed out" if res.reason in ("timeout", "cpu") else f"crashed ({last[0][:160]})"
        return [(False, f"the program {why}")] * len(tests)
    try:
        outcomes = json.loads(line[len(RESULT_MARK):])
    except json.JSONDecodeError:
        return [(False, "the program's output was garbled")] * len(tests)
    results = []
    for (inp, expected), got in zip(tests, outcomes):
        if not got.get("ok"):
            results.append((False, f"{FUNC}({inp}) raised {got.get('error')}"))
        elif isinstance(got["value"], list) and got["value"] == expected and \
                all(type(v) is int for v in got["value"]):
            results.append((True, ""))
        else:
            results.append((False, f"{FUNC}({inp}) returned {got['value']}, expected {expected}"))
    return results


def grade(completion: str, problem: Problem, *, timeout_s: float = 5.0) -> Graded:
    """Exact grading on all tests; the feedback text uses the feedback tests only."""
    code, why = find_function(completion)
    total = len(problem.all_tests)
    if code is None:
        return Graded(False, True, 0, total, False, "", why)
    results = run_tests(code, problem.all_tests, timeout_s=timeout_s)
    passed = sum(ok for ok, _ in results)
    fb = results[1:1 + len(problem.feedback_tests)]
    first_fail = next((msg for ok, msg in fb if not ok), "")
    if not first_fail and passed < total:
        first_fail = "every test you can see passes."
    return Graded(passed == total, False, passed, total, all(ok for ok, _ in fb), first_fail,
                  f"passed {passed}/{total}")


# --- inspect: the multi-turn solver and the scorer --------------------------------------------------


def _round_record(arm: str, rnd: int, g: Graded, called: bool) -> dict[str, Any]:
    return {"arm": arm, "round": rnd, "correct": g.correct, "unparseable": g.unparseable,
            "passed": g.passed, "total": g.total, "model_called": called}


def self_correction(rounds: int = 2, max_tokens: int = ROUND_MAX_TOKENS,
                    grader: Callable[[str, Problem], Graded] | None = None) -> Any:
    """Round 0, then an intrinsic chain and a feedback chain, both from the round-0 answer.

    Per-round results go to the sample store under "rounds" for the scorer.
    Grading (a sandboxed run) happens in a worker thread.
    """
    import anyio
    from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, GenerateConfig, get_model
    from inspect_ai.solver import Generate, TaskState, solver

    grade_fn = grader or grade

    @solver(name="self_correction")
    def _make() -> Any:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            model = get_model()
            cfg = GenerateConfig(max_tokens=max_tokens)
            problem = Problem.from_metadata(state.metadata)
            base = list(state.messages)

            async def ask(messages: list[Any]) -> str:
                out = await model.generate(messages, config=cfg)
                return out.completion

            async def check(text: str) -> Graded:
                return await anyio.to_thread.run_sync(grade_fn, text, problem)

            first = await ask(base)
            g0 = await check(first)
            records = [_round_record("single", 0, g0, True)]

            chat = base + [ChatMessageAssistant(content=first)]
            for r in range(1, rounds + 1):
                chat.append(ChatMessageUser(content=REVIEW_PROMPT))
                text = await ask(chat)
                chat.append(ChatMessageAssistant(content=text))
                records.append(_round_record("intrinsic", r, await check(text), True))
            intrinsic_chat = chat

            chat, g = base + [ChatMessageAssistant(content=first)], g0
            for r in range(1, rounds + 1):
                if g.correct:  # the tests pass: nothing to report, the answer stands
                    records.append(_round_record("feedback", r, g, False))
                    continue
                chat.append(ChatMessageUser(content=feedback_prompt(g)))
                text = await ask(chat)
                chat.append(ChatMessageAssistant(content=text))
                g = await check(text)
                records.append(_round_record("feedback", r, g, True))

            state.store.set("rounds", records)
            state.metadata["feedback_transcript"] = [
                {"role": m.role, "content": m.text} for m in chat[len(base):]]
            state.messages = intrinsic_chat
            from inspect_ai.model import ModelOutput

            state.output = ModelOutput.from_content(model=str(model), content=first)
            return state

        return solve

    return _make()


def rounds_scorer() -> Any:
    """Scores the single attempt (C/I) and carries every round's outcome in metadata."""
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer, stderr
    from inspect_ai.solver import TaskState

    @scorer(metrics=[accuracy(), stderr()], name="rounds")
    def _make() -> Any:
        async def score(state: TaskState, target: Target) -> Score:
            records = state.store.get("rounds") or []
            if not records:
                return Score(value=INCORRECT, explanation="solver recorded no rounds",
                             metadata={"rounds": []})
            first = records[0]
            finals = {rec["arm"]: rec["correct"] for rec in records}
            return Score(
                value=CORRECT if first["correct"] else INCORRECT,
                answer=None,
                explanation=", ".join(f"{a}: {'correct' if ok else 'wrong'}" for a, ok in finals.items()),
                metadata={"rounds": records},
            )

        return score

    return _make()


def samples(seed: int, n: int, steps: int = 3) -> list[Any]:
    from inspect_ai.dataset import Sample

    return [
        Sample(id=p.id, input=prompt(p), target="all tests pass",
               metadata={**p.to_metadata(), "difficulty": p.difficulty})
        for p in generate(seed, n, steps)
    ]


def task(seed: int = 0, n: int = 12, steps: int = 2, rounds: int = 2, max_tokens: int = ROUND_MAX_TOKENS) -> Any:
    """The inspect Task: one sample per problem; the solver runs all three arms."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset

    return Task(
        dataset=MemoryDataset(samples(seed, n, steps), name=f"verification-s{steps}"),
        solver=self_correction(rounds=rounds, max_tokens=max_tokens),
        scorer=rounds_scorer(),
        name="verification_gap",
    )


# --- log -> table -> metrics ---------------------------------------------------------------------------


def rounds_frame(log: Any) -> Any:
    """One row per (instance, arm, round) from an EvalLog: correct, unparseable, passed."""
    import pandas as pd

    if log.status != "success":
        raise RuntimeError(f"eval of task {log.eval.task!r} ended with status {log.status!r}")
    rows = []
    for s in log.samples or []:
        score = next(iter((s.scores or {}).values()), None)
        records = (score.metadata or {}).get("rounds", []) if score else []
        if not records:
            raise RuntimeError(f"sample {s.id}: no per-round records (the solver did not finish)")
        for rec in records:
            rows.append({"instance": s.id, "difficulty": (s.metadata or {}).get("difficulty"), **rec})
    return pd.DataFrame(rows)


def with_single_rows(df: Any, rounds: int) -> Any:
    """The long table with round 0 repeated under both chains, for per-round curves."""
    import pandas as pd

    r0 = df[df["arm"] == "single"]
    parts = [df[df["arm"] != "single"]]
    for arm in ("intrinsic", "feedback"):
        parts.append(r0.assign(arm=arm))
    return pd.concat(parts, ignore_index=True).sort_values(["arm", "round", "instance"])


def _final(df: Any, arm: str) -> Any:
    last = df[df["arm"] == arm]["round"].max()
    return df[(df["arm"] == arm) & (df["round"] == last)].set_index("instance")["correct"]


def metrics(df: Any, seed: int = 0) -> list[Metric]:
    """Verdict metrics (paired on instances) plus flip rates and the unparseable share."""
    single = df[df["arm"] == "single"].set_index("instance")["correct"]
    out: list[Metric] = [stats.proportion("single_acc", int(single.sum()), len(single))]
    for arm in ("intrinsic", "feedback"):
        final = _final(df, arm).reindex(single.index)
        out.append(stats.diff_metric(f"{arm}_gain", final.astype(float).tolist(),
                                     single.astype(float).tolist(), seed=seed, paired=True,
                                     note=f"final {arm} round minus round 0, same instances"))
        out.append(stats.proportion(f"{arm}_acc", int(final.sum()), len(final)))
        c2w = int((single & ~final).sum())
        w2c = int((~single & final).sum())
        out.append(stats.proportion(f"{arm}_correct_to_wrong", c2w, len(single),
                                    note="share of instances right at round 0 and wrong at the end"))
        out.append(stats.proportion(f"{arm}_wrong_to_correct", w2c, len(single),
                                    note="share of instances wrong at round 0 and right at the end"))
    unp = int(df[df["arm"] == "single"]["unparseable"].sum())
    out.append(stats.proportion("unparseable_rate", unp, len(single), note="round-0 answers with no usable function"))
    return out


def accuracy_by_round(df: Any, rounds: int) -> Any:
    """Accuracy with Wilson interval per (arm, round), round 0 shared by both chains."""
    import pandas as pd

    full = with_single_rows(df, rounds)
    rows = []
    for (arm, rnd), g in full.groupby(["arm", "round"]):
        k, n = int(g["correct"].sum()), len(g)
        lo, hi = stats.wilson(k, n)
        rows.append({"arm": arm, "round": int(rnd), "accuracy": k / n if n else 0.0,
                     "ci_low": lo, "ci_high": hi, "n": n, "unparseable": int(g["unparseable"].sum())})
    return pd.DataFrame(rows)


def flips_table(df: Any) -> Any:
    """Correct->wrong and wrong->correct counts between consecutive rounds of each chain."""
    import pandas as pd

    full = with_single_rows(df, int(df["round"].max()))
    rows = []
    for arm, g in full.groupby("arm"):
        wide = g.pivot_table(index="instance", columns="round", values="correct", aggfunc="first")
        for r in sorted(wide.columns)[1:]:
            prev, cur = wide[r - 1].astype(bool), wide[r].astype(bool)
            rows.append({"arm": arm, "round": int(r), "correct_to_wrong": int((prev & ~cur).sum()),
                         "wrong_to_correct": int((~prev & cur).sum())})
    return pd.DataFrame(rows)
