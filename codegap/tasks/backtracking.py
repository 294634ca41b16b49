"""Backtracking limit: constraint problems that left-to-right answering cannot retract.

An instance schedules meetings A, B, C, ... into k time slots under rules of
two kinds: "A and B cannot share a slot" (a graph-colouring edge) and "C
cannot be in slot 2". The generator plants a schedule first and only draws
rules that schedule satisfies, so every instance is solvable; its hardness
knob is the number of meetings (more variables, more rules, more places where
an early choice must be undone).

Arms (same instances in each):
- `one_pass`: write the schedule in one go;
- `retry`: propose, get the checker's list of broken rules, try again
  (up to `rounds` retries) -- a multi-turn solver;
- `solver`: do not solve; translate the rules into a tiny constraint language
  (`A != B`, `C != 2`, also `==`), which z3 solves. Why a DSL rather than
  model-written z3 code: it isolates the claim (formalise vs search), a 0.5B
  model can write it within a few dozen tokens, each line is checkable, and
  nothing the model writes is executed.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

from codegap.tasks.common import answer_text, make_rng

Arm = Literal["one_pass", "retry", "solver"]
ARMS: tuple[Arm, ...] = ("one_pass", "retry", "solver")
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_Z3_LOCK = threading.Lock()


@dataclass(frozen=True)
class Rule:
    """`apart`: meetings a and b in different slots; `not_in`: meeting a not in slot `slot`."""

    kind: Literal["apart", "not_in"]
    a: str
    b: str = ""
    slot: int = 0

    def holds(self, schedule: dict[str, int]) -> bool:
        if self.kind == "apart":
            return schedule.get(self.a) != schedule.get(self.b)
        return schedule.get(self.a) != self.slot

    def text(self) -> str:
        if self.kind == "apart":
            return f"{self.a} and {self.b} cannot be in the same slot."
        return f"{self.a} cannot be in slot {self.slot}."


@dataclass(frozen=True)
class Problem:
    id: str
    size: int  # number of meetings: the hardness knob
    slots: int
    meetings: tuple[str, ...]
    rules: tuple[Rule, ...]
    planted: dict[str, int] = field(hash=False, compare=False)


def generate(seed: int, size: int, n: int, *, slots: int = 3, density: float = 0.6) -> list[Problem]:
    """`n` problems with `size` meetings; a pure function of its arguments.

    Each pair of meetings with different planted slots becomes an `apart` rule
    with probability `density`; about a third of the meetings also get one
    `not_in` rule. Problems are redrawn until the planted schedule is not the
    only thing a naive "all slot 1" answer needs to beat: at least one rule
    touches every meeting.
    """
    if size < 2 or size > len(NAMES):
        raise ValueError(f"backtracking.generate: size must be 2..{len(NAMES)}, got {size}")
    if slots < 2:
        raise ValueError(f"backtracking.generate: slots must be >= 2, got {slots}")
    out = []
    for i in range(n):
        rng = make_rng(seed, "backtracking", size, slots, density, i)
        meetings = tuple(NAMES[:size])
        for _ in range(1000):
            planted = {m: rng.randint(1, slots) for m in meetings}
            if size >= slots and len(set(planted.values())) < slots:
                continue
            rules = [Rule("apart", a, b) for a, b in itertools.combinations(meetings, 2)
                     if planted[a] != planted[b] and rng.random() < density]
            for m in rng.sample(meetings, max(1, size // 3)):
                rules.append(Rule("not_in", m, slot=rng.choice([s for s in range(1, slots + 1) if s != planted[m]])))
            touched = {r.a for r in rules} | {r.b for r in rules if r.b}
            if touched == set(meetings):
                break
        rng.shuffle(rules)
        out.append(Problem(f"s{size}-{i}", size, slots, meetings, tuple(rules), planted))
    return out


def violations(problem: Problem, schedule: dict[str, int]) -> list[str]:
    """Every broken rule, plus every meeting without a valid slot; [] means solved."""
    out = [f"{m} has no slot between 1 and {problem.slots}." for m in problem.meetings
           if not 1 <= schedule.get(m, 0) <= problem.slots]
    for r in problem.rules:
        if not r.holds(schedule):
            where = (f" (both are in slot {schedule.get(r.a)})" if r.kind == "apart" else "")
            out.append(r.text().rstrip(".") + where + ".")
    return out


def count_solutions(problem: Problem, limit: int = 10_000) -> int:
    """Number of valid schedules, by brute force (instances are small); for analysis and tests."""
    count = 0
    for values in itertools.product(range(1, problem.slots + 1), repeat=problem.size):
        if all(r.holds(dict(zip(problem.meetings, values))) for r in problem.rules):
            count += 1
            if count >= limit:
                break
    return count


# --- prompts ----------------------------------------------------------------------------


def statement(p: Problem) -> str:
    rules = "\n".join(f"{i}. {r.text()}" for i, r in enumerate(p.rules, 1))
    slots = ", ".join(str(s) for s in range(1, p.slots + 1))
    return (f"Schedule the meetings {', '.join(p.meetings)} into time slots {slots}. "
            f"Every meeting gets exactly one slot, and several meetings may share a slot unless a rule forbids it.\n"
            f"Rules:\n{rules}")


def answer_format(p: Problem) -> str:
    return "Answer: " + ", ".join(f"{m}=<slot>" for m in p.meetings)


def prompt(p: Problem, arm: Arm) -> str:
    head = statement(p) + "\n\n"
    if arm in ("one_pass", "retry"):
        return head + f"Reply with exactly one line and nothing else:\n{answer_format(p)}"
    if arm == "solver":
        return head + (
            f"Do not solve it yourself: a constraint solver will. Translate every rule into one constraint "
            f"line. Use only these two forms: `A != B` means A and B are in different slots, and `C != 2` "
            f"means C is not in slot 2. The solver already knows each meeting is in a slot from 1 to "
            f"{p.slots}. Reply with the constraint lines only, one per line."
        )
    raise ValueError(f"unknown arm {arm!r}; expected one of {ARMS}")


def feedback(p: Problem, broken: list[str] | None) -> str:
    """The checker's message for the retry arm: what is broken, never how to fix it."""
    if broken is None:
        return f"I could not read a schedule in your reply. Reply with exactly one line:\n{answer_format(p)}"
    lines = "\n".join(f"- {b}" for b in broken)
    return (f"That schedule breaks {len(broken)} rule(s):\n{lines}\n"
            f"Give a corrected schedule. Reply with exactly one line:\n{answer_format(p)}")


def max_tokens(p: Problem, arm: Arm) -> int:
    per_line = 6 * p.size + 12
    return per_line if arm != "solver" else 10 + 8 * len(p.rules)


# --- parsing -----------------------------------------------------------------------------

_PAIR = re.compile(r"\b([A-Z])\s*(?:=|:|->|is in slot|in slot)\s*(?:slot\s*)?(\d+)\b")
_CONSTRAINT = re.compile(r"^\s*(?:[-*]|\d+[.)])?\s*`?([A-Z])\s*(!=|==|≠|=)\s*([A-Z]|\d+)`?\s*[.;,]?\s*$")


def parse_schedule(completion: str, meetings: Sequence[str]) -> dict[str, int] | None:
    """The schedule a reply gives: the pairs after the last 'Answer:', else the last pair per meeting.

    None (unparseable) when the reply names no slot for any meeting of the problem.
    """
    text = answer_text(completion)
    if text is None or not _PAIR.search(text):
        text = completion
    sched: dict[str, int] = {}
    for name, slot in _PAIR.findall(text):
        if name in meetings:
            sched[name] = int(slot)
    return sched or None


@dataclass(frozen=True)
class Formalisation:
    """What the solver arm's reply says: parsed constraints and lines that were not constraints."""

    constraints: tuple[tuple[str, str, str], ...]  # (left, op, right): op in {"!=", "=="}
    rejected: tuple[str, ...]


def parse_constraints(completion: str, meetings: Sequence[str]) -> Formalisation:
    """Constraint lines of the DSL; fences and blank lines are skipped, anything else is rejected."""
    good, bad = [], []
    for raw in completion.splitlines():
        line = raw.strip()
        if not line or line.startswith("```"):
            continue
        m = _CONSTRAINT.match(line)
        if not m or m.group(1) not in meetings or (m.group(3).isalpha() and m.group(3) not in meetings):
            bad.append(line)
            continue
        op = "!=" if m.group(2) in ("!=", "≠") else "=="
        good.append((m.group(1), op, m.group(3)))
    return Formalisation(tuple(good), tuple(bad))


def solve_constraints(form: Formalisation, meetings: Sequence[str], slots: int) -> dict[str, int] | None:
    """A schedule satisfying the model's constraints (z3), or None when they are unsatisfiable.

    Scorers run in worker threads and z3's default context is not thread-safe,
    so each call builds its own context, and calls are serialised as well.
    """
    import z3

    with _Z3_LOCK:
        ctx = z3.Context()
        var = {m: z3.Int(m, ctx) for m in meetings}
        s = z3.Solver(ctx=ctx)
        for v in var.values():
            s.add(v >= 1, v <= slots)
        for left, op, right in form.constraints:
            rhs = var[right] if right.isalpha() else z3.IntVal(int(right), ctx)
            s.add(var[left] != rhs if op == "!=" else var[left] == rhs)
        if s.check() != z3.sat:
            return None
        model = s.model()
        return {m: model.eval(var[m], model_completion=True).as_long() for m in meetings}


# --- grading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Graded:
    correct: bool
    unparseable: bool
    value: str | None
    violated: int | None  # broken rules + unassigned meetings; None when there was no schedule
    detail: str = ""
    attempts: int = 1

    def as_metadata(self) -> dict[str, Any]:
        return {"unparseable": self.unparseable, "value": self.value, "violated": self.violated,
                "detail": self.detail, "attempts": self.attempts}


def _fmt(schedule: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(schedule.items()))


def grade_schedule(p: Problem, completion: str, attempts: int = 1) -> Graded:
    sched = parse_schedule(completion, p.meetings)
    if sched is None:
        return Graded(False, True, None, None, "no schedule found", attempts)
    broken = violations(p, sched)
    return Graded(not broken, False, _fmt(sched), len(broken), "; ".join(broken), attempts)


def grade_solver(p: Problem, completion: str) -> Graded:
    form = parse_constraints(completion, p.meetings)
    if not form.constraints:
        return Graded(False, True, None, None, "no constraint lines found")
    sched = solve_constraints(form, p.meetings, p.slots)
    note = f"{len(form.constraints)} constraints, {len(form.rejected)} rejected lines"
    if sched is None:
        return Graded(False, False, None, None, f"the model's constraints are unsatisfiable ({note})")
    broken = violations(p, sched)
    return Graded(not broken, False, _fmt(sched), len(broken), f"{note}; " + "; ".join(broken))


# --- inspect task ------------------------------------------------------------------------


def problem_from_metadata(meta: dict[str, Any]) -> Problem:
    """Rebuild a problem from sample metadata (inspect stores only JSON)."""
    rules = tuple(Rule(r["kind"], r["a"], r.get("b", ""), r.get("slot", 0)) for r in meta["rules"])
    return Problem(meta["instance"], meta["size"], meta["slots"], tuple(meta["meetings"]), rules,
                   dict(meta["planted"]))


def retry_solver(rounds: int) -> Any:
    """Propose, check, feed back the broken rules, retry: at most `rounds` retries."""
    from inspect_ai.model import ChatMessageUser
    from inspect_ai.solver import Generate, TaskState, solver

    @solver(name="propose_check_retry")
    def _make() -> Any:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            budget = int(state.metadata["max_tokens"])
            if state.metadata["arm"] != "retry":
                return await generate(state, max_tokens=budget)
            p = problem_from_metadata(state.metadata)
            history = []
            for attempt in range(rounds + 1):
                state = await generate(state, max_tokens=budget)
                sched = parse_schedule(state.output.completion, p.meetings)
                broken = None if sched is None else violations(p, sched)
                history.append(None if broken is None else len(broken))
                if broken == [] or attempt == rounds:
                    break
                state.messages.append(ChatMessageUser(content=feedback(p, broken)))
            state.metadata["attempt_violations"] = history
            return state

        return solve

    return _make()


def samples(seed: int, n: int, sizes: Sequence[int], *, slots: int = 3, density: float = 0.6,
            arms: Sequence[Arm] = ARMS) -> list[Any]:
    from inspect_ai.dataset import Sample

    out = []
    for size in sizes:
        for p in generate(seed, size, n, slots=slots, density=density):
            for arm in arms:
                meta = {"arm": arm, "size": size, "instance": p.id, "slots": p.slots, "meetings": list(p.meetings),
                        "rules": [{"kind": r.kind, "a": r.a, "b": r.b, "slot": r.slot} for r in p.rules],
                        "planted": p.planted, "n_rules": len(p.rules), "max_tokens": max_tokens(p, arm)}
                out.append(Sample(id=f"{p.id}-{arm}", input=prompt(p, arm), target=_fmt(p.planted), metadata=meta))
    return out


def task(seed: int = 0, n: int = 14, sizes: Sequence[int] = (3, 7), rounds: int = 1, slots: int = 3,
         density: float = 0.6, arms: Sequence[Arm] = ARMS) -> Any:
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset

    from codegap.tasks.common import graded_scorer

    def _grade(completion: str, meta: dict[str, Any]) -> Graded:
        p = problem_from_metadata(meta)
        if meta["arm"] == "solver":
            return grade_solver(p, completion)
        g = grade_schedule(p, completion)
        tries = len(meta.get("attempt_violations") or [1])
        return Graded(g.correct, g.unparseable, g.value, g.violated, g.detail, tries)

    return Task(
        dataset=MemoryDataset(samples(seed, n, sizes, slots=slots, density=density, arms=arms),
                              name="backtracking-limit"),
        solver=retry_solver(rounds),
        scorer=graded_scorer(_grade),
        name="backtracking_limit",
    )


# --- metrics -----------------------------------------------------------------------------


def metrics(df: Any, seed: int = 0) -> list[Any]:
    """Per-arm drop in solve rate from the smallest to the largest problems, and solver vs one-pass.

    The verdict rule reads `one_pass_drop` (does one-pass answering collapse
    with hardness?) and `solver_drop` (does the solver arm hold up?); the
    others are reported.
    """
    from codegap.tasks.common import arm_gap_metric, drop_metric

    lo, hi = int(df["size"].min()), int(df["size"].max())
    out = [drop_metric(f"{arm}_drop", df, arm=arm, level="size", easy=lo, hard=hi, seed=seed)
           for arm in ARMS if arm in set(df["arm"])]
    if {"solver", "one_pass"} <= set(df["arm"]):
        out.append(arm_gap_metric("solver_minus_one_pass_hard", df, better="solver", worse="one_pass",
                                  where={"size": hi}, seed=seed))
    return out


def violations_table(df: Any) -> Any:
    """Mean fraction of rules broken per arm and size, over replies that gave a schedule."""
    sub = df[df["violated"].notna()].copy()
    sub["violated_frac"] = sub["violated"].astype(float) / (sub["n_rules"] + sub["size"])
    return (sub.groupby(["arm", "size"])
               .agg(mean_violated=("violated", "mean"), mean_violated_frac=("violated_frac", "mean"),
                    answered=("violated", "size"))
               .reset_index())
