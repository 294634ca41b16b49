"""Synthetic models that define what the verdict must say (used by the tests).

- `perfect` writes the efficient reference: it passes the visible tests and is
  as fast as the reference at scale, so the claim must come out `does not hold`.
- `limited` has exactly the claimed limitation: it writes a program that
  passes the visible tests, and three times in four it is the literal
  quadratic one (nested loops, `x in list`, `sum` over a slice per query), so
  the claim must come out `holds`.
- `random` writes a function returning a guessed constant, or no code at all:
  it must never get `holds` (it passes almost no visible test: premise not met).
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.proxy_reward_trap.generator import Instance


def fenced(code: str) -> str:
    return f"Here is the function.\n\n```python\n{code}```\n"


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return fenced(inst.spec.efficient)


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return fenced(inst.spec.naive if rng.random() < 0.75 else inst.spec.efficient)


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "Loop over the items and keep a running answer."
    guess = rng.choice(["0", "1", "None", "[]", "-1", str(rng.randint(-5, 20)), "[0]"])
    return fenced(f"{inst.spec.signature}\n    return {guess}\n")


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
