"""Prompts and token budgets of the three arms (same instance, same words, three ways to answer).

- `direct`: the final value only;
- `cot`: write the value after every step, then "Answer: ...";
- `code`: write a Python program that carries out the procedure; the sandbox
  runs it and its last printed line is the answer.

Budgets grow with depth so that a chain of thought is not cut off: the CoT
budget allows about 90 tokens per step (a step's sentence plus its value is
10-40 tokens for the models tried), and the truncation rate is measured and
reported by every run (`cot_truncation`, a premise of the verdict).
"""

from __future__ import annotations

from codegap.experiments.base import Request
from codegap.experiments.iterative_execution.generator import Instance

ARMS = ("direct", "cot", "code")


def _answer_form(inst: Instance) -> str:
    return "the four digits with nothing between them (for example 3815)" if inst.kind == "digits" else "the number"


def prompt(inst: Instance, arm: str) -> str:
    """The user message of one arm; every arm sees the same procedure and question."""
    head = f"{inst.text}\n\n{inst.question}\n\n"
    if arm == "direct":
        return head + f"Reply with only {_answer_form(inst)}, no explanation."
    if arm == "cot":
        return head + ("Work it out step by step: write the value after every step on its own line. "
                       f"Then finish with exactly one line: Answer: <{_answer_form(inst)}>")
    if arm == "code":
        return head + ("Do not work it out yourself. Write a complete Python program that carries out the "
                       "procedure exactly as described and prints only the final answer "
                       f"({_answer_form(inst)}). Reply with one ```python code block and nothing else.")
    raise ValueError(f"unknown arm {arm!r}; expected one of {ARMS}")


def max_tokens(arm: str, depth: int) -> int:
    """Output-token budget of an arm at a depth (see module doc)."""
    if arm == "direct":
        return 24
    if arm == "cot":
        return 160 + 90 * depth
    return 240 + 30 * depth


def requests(inst: Instance) -> list[Request]:
    """One greedy request per arm."""
    return [Request(arm=a, prompt=prompt(inst, a), max_tokens=max_tokens(a, inst.depth), temperature=0.0)
            for a in ARMS]
