"""Exact scoring of the three arms, and the classification of wrong answers.

A reply without a readable answer is wrong and counted as unparseable. The
code arm's program runs in the sandbox (`codegap.sandbox`), never in this
process; its last printed line is read as the answer.

A wrong answer is classified (for the analysis of *how* models fail):
- `intermediate`: it equals a value the procedure passes through (a slip in
  counting steps, or executing correctly for a while);
- `in range`: a value the procedure could produce but did not (a plausible
  value: the template recognised, the steps not carried out);
- `out of range`: anything else.
"""

from __future__ import annotations

import re

from codegap.experiments.answers import extract_code, marker_values, normalise, parse_int_answer
from codegap.experiments.base import Graded
from codegap.experiments.iterative_execution.generator import Instance


def parse_digits(text: str) -> str | None:
    """A row of four digits: after the last answer marker ("Answer: 8 1 5 4", "8154"), else the last line."""
    candidates = list(reversed(marker_values(text)))
    lines = [ln.strip() for ln in normalise(text).strip().splitlines() if ln.strip() and not ln.startswith("```")]
    if lines:
        candidates.append(lines[-1])
    for cand in candidates:
        squeezed = re.sub(r"[\s,;\-\[\]()'\"`*]", "", cand).rstrip(".")
        if re.fullmatch(r"\d{4}", squeezed):
            return squeezed
    return None


def read_answer(inst: Instance, text: str) -> str | None:
    if inst.kind == "digits":
        return parse_digits(text)
    value = parse_int_answer(text)
    return None if value is None else str(value)


def classify(inst: Instance, value: str | None) -> str:
    """right / unparseable / intermediate / in range / out of range."""
    if value is None:
        return "unparseable"
    if value == inst.answer:
        return "right"
    if value in inst.trace[:-1]:
        return "intermediate"
    if inst.kind == "digits":
        return "in range"  # any row of four digits is a state the algorithm could be in
    return "in range" if inst.low <= int(value) <= inst.high else "out of range"


def grade_text(inst: Instance, reply: str) -> Graded:
    value = read_answer(inst, reply)
    kind = classify(inst, value)
    return Graded(kind == "right", kind == "unparseable", value, "" if kind == "right" else kind)


def grade_code(inst: Instance, reply: str, *, timeout_s: float = 5.0) -> Graded:
    from codegap.sandbox import run_python

    code = extract_code(reply)
    if code is None:
        return Graded(False, True, None, "no Python code found")
    res = run_python(code, timeout_s=timeout_s, cpu_s=int(timeout_s) + 1)
    if not res.ok:
        why = res.reason or f"exit {res.returncode}"
        return Graded(False, False, None, f"program failed: {why}: {res.stderr.strip()[-160:]}")
    lines = [ln.strip() for ln in res.stdout.strip().splitlines() if ln.strip()]
    value = read_answer(inst, lines[-1]) if lines else None
    if value is None:
        return Graded(False, False, None, f"program printed no answer: {res.stdout.strip()[-60:]!r}")
    kind = classify(inst, value)
    return Graded(kind == "right", False, value, "" if kind == "right" else kind)


def grade(inst: Instance, arm: str, reply: str) -> Graded:
    return grade_code(inst, reply) if arm == "code" else grade_text(inst, reply)
