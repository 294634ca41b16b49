"""Prompts, token budgets and the checker's feedback of the three arms (same puzzle text in each).

- `one_pass`: think as long as the budget allows (trying and revising
  assignments in writing is allowed and invited), then one final `Answer:`
  line. Whatever the reasoning did, the answer line is generated left to right
  and graded as given.
- `retry`: the same, but a checker replies after each attempt with the
  requirements the schedule breaks (and the slots involved), never with a fix;
  up to `rounds` attempts. The checker supplies the retraction the claim says
  generation lacks, while the search stays the model's.
- `solver`: do not solve; write a Python program that states the requirements
  as constraints for a solver (`solver_lib`, python-constraint's API, shipped
  into the sandbox) and prints the schedule it finds. The solver supplies the
  search and the retraction; the model supplies the formalisation of prose
  that does not map sentence by sentence onto the API (see generator.py).

Budgets: the reasoning arms get `REASONING_TOKENS` per attempt, enough for a
written search over seven people (a pilot measured how long replies run, see
the README); truncation is measured by every run and gated by a premise. The
solver arm gets `PROGRAM_TOKENS`: a complete program is 25-40 lines.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence

from codegap.experiments.backtracking_limit import solver_lib
from codegap.experiments.backtracking_limit.generator import Instance, join_names
from codegap.experiments.base import Request

ARMS = ("one_pass", "retry", "solver")
#: output tokens per reasoning attempt (one_pass, and each round of retry)
REASONING_TOKENS = 2048
#: output tokens for the solver arm's program
PROGRAM_TOKENS = 1024
#: the name the shipped solver is imported by in model programs
SOLVER_MODULE = "constraint"


def answer_form(inst: Instance) -> str:
    return "Answer: " + ", ".join(f"{p}=<slot>" for p in inst.people)


def _reasoning_tail(inst: Instance) -> str:
    return ("Find a schedule that meets every requirement. Think it through in writing first: you may try "
            "slots, check them against the requirements, and change them when something fails. Then end "
            "your reply with exactly one line that gives every person's slot, in this form:\n"
            f"{answer_form(inst)}")


def solver_prompt(inst: Instance) -> str:
    """The solver arm's instructions: the API in brief, on made-up variables (not the puzzle's)."""
    slots = ", ".join(str(s) for s in range(1, inst.slots + 1))
    return (
        "Do not solve this puzzle yourself. Write a Python program that states the requirements as "
        "constraints and lets a constraint solver find the schedule. The module `constraint` is available "
        "(the API of the python-constraint package); for example:\n"
        "```python\n"
        "from constraint import Problem, AllDifferentConstraint\n"
        "problem = Problem()\n"
        "problem.addVariables([\"X\", \"Y\", \"Z\"], [1, 2, 3])\n"
        "problem.addConstraint(lambda x, y: x + y == 4, [\"X\", \"Y\"])  # any function of the listed variables\n"
        "problem.addConstraint(AllDifferentConstraint(), [\"X\", \"Y\", \"Z\"])\n"
        "solution = problem.getSolution()  # a dict such as {\"X\": 1, \"Y\": 3, \"Z\": 2}, or None\n"
        "```\n"
        f"Use one variable per person, named exactly as in the puzzle, with the slots {slots} as values. "
        "Only the Python standard library and `constraint` can be imported. The program must print the "
        f"schedule it finds as one line in this form: {', '.join(f'{p}=<slot>' for p in inst.people)}\n"
        "Reply with one ```python code block and nothing else."
    )


def prompt(inst: Instance, arm: str) -> str:
    """The first user message of an arm; every arm sees the same puzzle text."""
    head = inst.setting() + "\n\n"
    if arm == "one_pass":
        return head + _reasoning_tail(inst)
    if arm == "retry":
        return head + ("A checker will read your final line and tell you which requirements it breaks, "
                       "and you can then try again. " + _reasoning_tail(inst))
    if arm == "solver":
        return head + solver_prompt(inst)
    raise ValueError(f"unknown arm {arm!r}; expected one of {ARMS}")


def feedback(inst: Instance, schedule: dict[str, int] | None, missing: Sequence[str] = ()) -> str:
    """The checker's reply to a failed attempt: what is broken, never how to fix it."""
    tail = f"Try again. End your reply with exactly one line:\n{answer_form(inst)}"
    if schedule is None:
        return f"The checker could not find a schedule in your reply. {tail}"
    if missing:
        return f"The checker found no valid slot for {join_names(list(missing))} in your final line. {tail}"
    slots = [schedule[p] for p in inst.people]
    lines = []
    for i in inst.violated(slots):
        rule = inst.rules[i]
        who = sorted({v for p in rule.prims for v in p.scope})
        where = ", ".join(f"{inst.people[v]} is in slot {slots[v]}" for v in who)
        lines.append(f"- Requirement {i + 1} is broken ({where}): {rule.text}")
    return ("The checker found that your schedule breaks these requirements:\n" + "\n".join(lines)
            + f"\n{tail}")


# --- the program the sandbox runs ------------------------------------------------------------------

@lru_cache(maxsize=1)
def _library_source() -> str:
    """The shipped solver's source (imported above, so run fingerprints cover it)."""
    return Path(solver_lib.__file__).read_text(encoding="utf-8")


def program(code: str) -> str:
    """The model's code preceded by one line that makes `import constraint` find the shipped solver.

    One line, so the model's line numbers in a traceback are off by exactly one.
    """
    src = _library_source()
    prelude = ("import sys as _s, types as _t; _m = _t.ModuleType(" + repr(SOLVER_MODULE) + "); "
               f"exec(compile({src!r}, 'constraint.py', 'exec'), _m.__dict__); "
               "_s.modules[" + repr(SOLVER_MODULE) + "] = _m; del _s, _t, _m")
    return prelude + "\n" + code


def requests(inst: Instance, rounds: int) -> list[Request]:
    """One greedy (temperature 0) request per arm; the retry arm may take up to `rounds` attempts."""
    if rounds < 1:
        raise ValueError(f"backtracking-limit: rounds must be at least 1, got {rounds}")
    return [Request(arm="one_pass", prompt=prompt(inst, "one_pass"), max_tokens=REASONING_TOKENS),
            Request(arm="retry", prompt=prompt(inst, "retry"), max_tokens=REASONING_TOKENS, rounds=rounds),
            Request(arm="solver", prompt=prompt(inst, "solver"), max_tokens=PROGRAM_TOKENS)]
