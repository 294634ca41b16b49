"""Exact grading of every turn: the function runs on the task's tests in the sandbox.

A reply is read with the shared function-problem extraction
(`function_problems.harness.extract`: every top-level definition of its code
blocks; a missing or unparsable `process` is unparseable). The program runs
once on all tests, in one sandboxed process, and what it returns is kept, so
one run answers three questions:

- `correct`: the outputs equal the task's reference on every test (all arms,
  every turn; only the last SHARDED turn is scored);
- `so_far`: the outputs equal a reference of what the user has said by this
  turn (for SHARDED; either direction until the direction is said), i.e. the
  model kept up with the conversation;
- `order`: the direction its lists come in, over the tests where the answer
  returned a list of at least two distinct values: `ascending`,
  `descending`, `unsorted` (mixed, or not sorted), `unknown` (no such test)
  or `none` (no runnable function). This is how a first-turn assumption is
  seen: a first SHARDED answer that returns `ascending` lists assumed
  smallest first, and a wrong final answer that still does kept it.
"""

from __future__ import annotations

from typing import Any, Sequence

from codegap.experiments.base import Graded
from codegap.experiments.function_problems import harness
from codegap.experiments.function_problems.problem import call_text, show
from codegap.experiments.multi_turn_lock_in.generator import FUNC, Instance


def direction(outputs: Sequence[Any]) -> str:
    """ascending / descending / unsorted / unknown, from the lists a program returned (see module doc)."""
    ups = downs = 0
    for out in outputs:
        if not isinstance(out, list) or len(set(map(repr, out))) < 2:
            continue
        try:
            asc = all(a <= b for a, b in zip(out, out[1:]))
            desc = all(a >= b for a, b in zip(out, out[1:]))
        except TypeError:  # mixed types cannot be ordered
            asc = desc = False
        if asc:
            ups += 1
        elif desc:
            downs += 1
        else:
            return "unsorted"
    if ups and downs:
        return "unsorted"
    return "ascending" if ups else "descending" if downs else "unknown"


def grade(inst: Instance, arm: str, reply: str, round: int) -> Graded:
    prog = harness.extract(reply, [FUNC])
    if prog.kind != "ok":
        return Graded(False, True, {"order": "none", "so_far": False}, prog.why)
    error, results = harness.returned(prog.code, FUNC, [c.args for c in inst.cases])
    if error:
        return Graded(False, False, {"order": "none", "so_far": False}, error)
    outputs = [value if kind == "value" else None for kind, value in results]
    correct = all(out == c.expected for out, c in zip(outputs, inst.cases))
    if arm == "sharded":
        allowed = inst.so_far(round)
        so_far = any(all(out == s.run(c.args[0]) for out, c in zip(outputs, inst.cases)) for s in allowed)
    else:
        so_far = correct
    detail = ""
    if not correct:
        for (kind, value), c in zip(results, inst.cases):
            if kind != "value" or value != c.expected:
                got = f"returned {show(value)}" if kind == "value" else \
                    "took too long" if kind == "timeout" else f"raised {value}"
                detail = f"{call_text(FUNC, c.args)} {got}, expected {show(c.expected)}"[:200]
                break
    return Graded(correct, False, {"order": direction(outputs), "so_far": so_far}, detail)
