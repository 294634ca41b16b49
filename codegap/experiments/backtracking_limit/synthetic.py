"""Three synthetic models that define what the verdict must say (used by the tests).

- `perfect` solves every puzzle in every arm (and formalises every requirement
  faithfully): the claim must come out `does not hold`.
- `limited` has exactly the claimed limitation. Answering in text, it writes
  the schedule left to right, each slot chosen at random among those that fit
  what it has already written, and never takes a slot back: when nobody's
  slot fits any more it writes one anyway (`csp.walk`). Its expected one-pass
  solve rate is each puzzle's `walk_success` (about 0.4 at the fewest
  backtracks and 0.05 at the most, with the default levels). With the
  checker's feedback it simply tries again the same way; handed a solver, it
  formalises correctly and the solver does the search. The claim must come
  out `holds`.
- `random` writes a uniformly random schedule (or nothing readable), and a
  program that prints one: it must never get `holds`.
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.backtracking_limit import csp
from codegap.experiments.backtracking_limit.generator import Instance
from codegap.experiments.base import Request

_LAMBDA = {
    "ne": "lambda a, b: a != b",
    "lt": "lambda a, b: a < b",
    "gap": "lambda a, b: abs(a - b) >= 2",
    "next": "lambda a, b: b == a + 1",
    "same_half": "lambda a, b: (a <= {h}) == (b <= {h})",
    "other_half": "lambda a, b: (a <= {h}) != (b <= {h})",
}


def reference_program(inst: Instance) -> str:
    """A faithful formalisation of every requirement, written against the shipped solver's API."""
    people = list(inst.people)
    lines = ["from constraint import Problem", "", "problem = Problem()",
             f"problem.addVariables({people!r}, {list(range(1, inst.slots + 1))!r})"]
    for rule in inst.rules:
        lines.append(f"# {rule.text}")
        for p in rule.prims:
            if p.kind == "in":
                lines.append(f"problem.addConstraint(lambda a: a in {sorted(p.values)!r}, [{people[p.a]!r}])")
            else:
                fn = _LAMBDA[p.kind].format(h=inst.half)
                lines.append(f"problem.addConstraint({fn}, [{people[p.a]!r}, {people[p.b]!r}])")
    lines += ["solution = problem.getSolution()",
              f"print(', '.join(f'{{name}}={{solution[name]}}' for name in {people!r}))"]
    return "\n".join(lines)


def _answer(inst: Instance, slots: list[int] | tuple[int, ...], lead: str) -> str:
    return lead + "\nAnswer: " + ", ".join(f"{p}={s}" for p, s in zip(inst.people, slots))


def _fence(code: str) -> str:
    return f"```python\n{code}\n```"


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.arm == "solver":
        return _fence(reference_program(inst))
    return _answer(inst, inst.reference, "I tried slots, checked every requirement, and revised until all held.")


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.arm == "solver":
        return _fence(reference_program(inst))
    slots = csp.walk(inst.network(), rng)
    return _answer(inst, slots, "Going left to right, I give each person a slot that fits what I have written.")


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    slots = [rng.randint(1, inst.slots) for _ in inst.people]
    if req.arm == "solver":
        if rng.random() < 0.5:
            return "I cannot write this program."
        text = ", ".join(f"{p}={s}" for p, s in zip(inst.people, slots))
        return _fence(f"print({text!r})")
    return _answer(inst, slots, "A guess.") if rng.random() < 0.8 else "I am not sure."


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
