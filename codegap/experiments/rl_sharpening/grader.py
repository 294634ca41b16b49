"""Exact scoring of one draw.

- Organism (Mode B): the reply is the d+1 tokens the organism wrote; it must
  be digits only (a sampled "+" or "=" makes it unparseable) and equal the
  reversed, zero-padded sum.
- Served models (Mode A): the integer after the last "Answer:" marker (or a
  last line holding exactly one integer; `answers.parse_int_answer`); none is
  unparseable.
"""

from __future__ import annotations

from codegap.experiments.answers import parse_int_answer
from codegap.experiments.base import Graded
from codegap.experiments.rl_sharpening.generator import Problem
from codegap.organisms.addition import read_sum


def grade(p: Problem, reply: str) -> Graded:
    value = read_sum(reply, p.digits) if p.mode == "organism" else parse_int_answer(reply)
    if value is None:
        return Graded(False, True, None, "unparseable")
    right = value == p.value
    return Graded(right, False, value, "" if right else "wrong")
