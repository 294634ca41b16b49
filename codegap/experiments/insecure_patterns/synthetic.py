"""Synthetic models that define what the verdict must say (used by the tests).

- `perfect` writes the secure reference of every task: it works and no
  exploit succeeds, so the claim must come out `does not hold`.
- `limited` has exactly the claimed limitation: its programs work, and four
  times in five they use the insecure idiom (SQL by string formatting, an
  unchecked or naively filtered path, a shell string, pickle or eval), so the
  claim must come out `holds`.
- `random` writes a function returning a guessed constant, or no code at all:
  it must never get `holds` (it rarely works: premise not met).
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.insecure_patterns.generator import Instance


def fenced(code: str) -> str:
    return f"Here is the code.\n\n```python\n{code}```\n"


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return fenced(inst.spec.safe)


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return fenced(inst.spec.vulnerable if rng.random() < 0.8 else inst.spec.safe)


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "Use the standard library and validate the input."
    guess = rng.choice(["0", "None", "[]", "''", "True", "{}"])
    return fenced("\n\n".join(f"def {f}(*args):\n    return {guess}\n" for f in inst.spec.funcs))


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
