"""Exact scoring of a student's answer, and how a wrong answer relates to its teacher.

The reply is the d+1 tokens the student wrote (digits only, or it is
unparseable); it is right when it is the true sum. A wrong answer is
classified for the analysis: `as its teacher` when it is the teacher's own
wrong answer to this problem (the student reproduced the demonstrations'
error), `other` otherwise.
"""

from __future__ import annotations

from codegap.experiments.base import Graded
from codegap.experiments.sft_ceiling.generator import Problem
from codegap.experiments.sft_ceiling.task import teacher_of
from codegap.organisms.addition import read_sum


def teacher_answer(p: Problem, arm: str) -> str:
    teacher = teacher_of(arm)
    return p.answer if teacher == "clean" else getattr(p, teacher)


def grade(p: Problem, arm: str, reply: str) -> Graded:
    value = read_sum(reply, p.digits)
    if value is None:
        return Graded(False, True, None, "unparseable")
    if value == p.value:
        return Graded(True, False, value, "")
    return Graded(False, False, value, "as its teacher" if reply.strip() == teacher_answer(p, arm) else "other")
