"""Exact scoring of schedules, how wrong ones are wrong, and the solver arm's program run.

A schedule is right when every person has a slot in 1..k and every
requirement holds (checked against the primitive constraints, not against one
reference schedule: any valid schedule counts). A reply with no schedule at
all is wrong and unparseable; one that leaves a person out, or names a slot
that does not exist, is wrong but parseable.

Reading a schedule: the pairs ("Ana=2", "Ana: 2", "Ana: slot 2", "Ana is in
slot 2", "'Ana': 2") after the last "Answer:" marker that has any; without a
marker, only a last line that gives every person counts (guessing which of the
reasoning's many tentative slots the model meant would reward an answer it did
not give). Names match whole words, case-sensitively.

How a wrong complete schedule is wrong (`detail` starts with the kind), read
left to right in the listed order the answer is written in:
- `dead end`: the people before the first conflict are consistent with each
  other, and no slot at all fits the next person: the written prefix cannot be
  completed without retracting it (what a generator that never retracts
  produces);
- `avoidable`: a fitting slot existed for that person and another was written
  (a slip or a misread requirement, not a dead end).

The solver arm's program runs in `codegap.sandbox.run_python` with the shipped
solver in front of it (`task.program`); its printed schedule is graded the same
way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from codegap.experiments.answers import extract_code, normalise
from codegap.experiments.backtracking_limit.generator import Instance
from codegap.experiments.backtracking_limit.task import program
from codegap.experiments.base import Graded

DEAD_END, AVOIDABLE, INCOMPLETE = "dead end", "avoidable", "incomplete"
NO_SCHEDULE, NO_CODE, PROGRAM_FAILED, NO_OUTPUT = ("no schedule", "no Python code", "program failed",
                                                    "no schedule printed")
#: sandbox limits for one program (the shipped solver answers these puzzles in well under a second)
TIMEOUT_S, CPU_S = 10.0, 10

_MARKER = re.compile(r"\banswer\b\s*(?:\*\*|__)?\s*[:=]", re.I)


@lru_cache(maxsize=256)
def _pair_pattern(people: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(p) for p in sorted(people, key=len, reverse=True))
    return re.compile(
        rf"(?<![A-Za-z])({names})(?![A-Za-z])['\"]?\s*"
        r"(?:=|:|->|→|\bis\s+in\s+slot\b|\bin\s+slot\b|\bgets\s+slot\b|\btakes\s+slot\b|\(\s*slot\b)"
        r"\s*(?:slot\s*)?(-?\d+)")


def pairs(inst: Instance, text: str) -> list[tuple[str, int]]:
    """Every (person, slot) pair in `text`, in order."""
    return [(name, int(num)) for name, num in _pair_pattern(inst.people).findall(normalise(text))]


def parse_schedule(inst: Instance, reply: str) -> dict[str, int] | None:
    """The schedule a reply gives as its answer (see module doc), or None."""
    text = normalise(reply)
    for m in reversed(list(_MARKER.finditer(text))):
        found = pairs(inst, text[m.end():])
        if found:
            out: dict[str, int] = {}
            for name, slot in found:
                out.setdefault(name, slot)  # the answer line comes first; later mentions are commentary
            return out
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.strip().startswith("```")]
    if lines:
        last = dict(pairs(inst, lines[-1]))
        if set(last) == set(inst.people):
            return last
    return None


def parse_output(inst: Instance, stdout: str) -> dict[str, int] | None:
    """The schedule a program printed: its last line if complete, else the trailing lines that hold pairs."""
    lines = [ln for ln in normalise(stdout).strip().splitlines() if ln.strip()]
    block: list[list[tuple[str, int]]] = []
    for ln in reversed(lines):
        found = pairs(inst, ln)
        if not found:
            break
        block.append(found)
    if not block:
        return None
    if {n for n, _ in block[0]} == set(inst.people):
        return dict(block[0])
    out: dict[str, int] = {}
    for found in reversed(block):  # oldest first, so the lines nearest the end win
        out.update(found)
    return out


def revises(inst: Instance, reply: str) -> bool:
    """True when the reasoning before the final answer gives some person two different slots.

    A heuristic trace of backtracking in text (the model wrote a tentative
    slot and later a different one); reported, never used by the verdict.
    """
    text = normalise(reply)
    markers = list(_MARKER.finditer(text))
    body = text[:markers[-1].start()] if markers else text
    seen: dict[str, set[int]] = {}
    for name, slot in pairs(inst, body):
        seen.setdefault(name, set()).add(slot)
    return any(len(v) > 1 for v in seen.values())


def _fmt(inst: Instance, schedule: dict[str, int]) -> str:
    return ", ".join(f"{p}={schedule[p]}" for p in inst.people if p in schedule)


def judge(inst: Instance, schedule: dict[str, int]) -> tuple[bool, str]:
    """(right?, detail) for a parsed schedule; detail names the kind of error (see module doc)."""
    missing = [p for p in inst.people if not 1 <= schedule.get(p, 0) <= inst.slots]
    if missing:
        return False, f"{INCOMPLETE}: no valid slot for {', '.join(missing)}"
    slots = [schedule[p] for p in inst.people]
    broken = inst.violated(slots)
    if not broken:
        return True, ""
    where = inst.network().first_conflict(slots)
    assert where is not None, "a schedule that breaks a requirement has a first conflict"
    v, dead = where
    kind = DEAD_END if dead else AVOIDABLE
    return False, f"{kind} at {inst.people[v]}; breaks requirement(s) {', '.join(str(i + 1) for i in broken)}"


def grade_text(inst: Instance, reply: str) -> Graded:
    """A reasoning arm's reply (one_pass, or one round of retry)."""
    schedule = parse_schedule(inst, reply)
    if schedule is None:
        return Graded(False, True, {"schedule": None, "revises": revises(inst, reply)}, NO_SCHEDULE)
    ok, detail = judge(inst, schedule)
    return Graded(ok, False, {"schedule": _fmt(inst, schedule), "revises": revises(inst, reply)}, detail)


def grade_program(inst: Instance, reply: str) -> Graded:
    """The solver arm: run the model's program (with the shipped solver) in the sandbox, judge what it prints."""
    from codegap.sandbox import run_python

    code = extract_code(reply)
    if code is None:
        return Graded(False, True, {"schedule": None}, NO_CODE)
    res = run_python(program(code), timeout_s=TIMEOUT_S, cpu_s=CPU_S)
    if not res.ok:
        why = res.reason or f"exit {res.returncode}"
        return Graded(False, False, {"schedule": None}, f"{PROGRAM_FAILED}: {why}: {res.stderr.strip()[-200:]}")
    schedule = parse_output(inst, res.stdout)
    if schedule is None:
        return Graded(False, False, {"schedule": None}, f"{NO_OUTPUT}: {res.stdout.strip()[-80:]!r}")
    ok, detail = judge(inst, schedule)
    return Graded(ok, False, {"schedule": _fmt(inst, schedule)}, detail)


def grade(inst: Instance, arm: str, reply: str) -> Graded:
    return grade_program(inst, reply) if arm == "solver" else grade_text(inst, reply)


def engaged(detail: Any, unparseable: bool) -> bool:
    """A solver-arm reply whose program ran to completion (whatever it printed)."""
    return not unparseable and not str(detail or "").startswith(PROGRAM_FAILED)
