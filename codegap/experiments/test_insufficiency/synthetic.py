"""Synthetic models that define what the verdict must say (used by the tests).

- `perfect` writes the reference function: it passes both suites, its base
  score is its true score, so the claim must come out `does not hold`.
- `limited` has exactly the failure thin suites let through: half of its
  programs are right, the other half carry one plausible edge-case bug (one of
  the family's buggy variants: a maximum that starts at 0, a last group
  dropped, a float division). Typical inputs rarely expose such bugs, the
  augmented suite always does: the claim must come out `holds`.
- `random` writes a function returning a guessed constant, or no code at all:
  it must never get `holds` (it fails the premise: it passes almost nothing).
- `wrong_everywhere` (a design check): half of its programs are right, the
  other half wrong on every input, so the base suite already catches every
  wrong one. Being wrong often is not what the claim is about: `does not hold`.
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.test_insufficiency.generator import Instance


def _fenced(code: str) -> str:
    return f"Here is the function.\n\n```python\n{code}```\n"


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _fenced(inst.problem.spec.code())


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    spec = inst.problem.spec
    if rng.random() < 0.5:
        return _fenced(spec.code())
    bug, _ = rng.choice(spec.mutants)
    return _fenced(spec.mutant(bug))


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "I would loop over the list and keep track of the answer."
    guess = rng.choice(["0", "1", "None", "[]", "-1", str(rng.randint(-5, 20)), "[0]"])
    return _fenced(f"{inst.problem.spec.signature}\n    return {guess}\n")


def wrong_everywhere(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    spec = inst.problem.spec
    if rng.random() < 0.5:
        return _fenced(spec.code())
    return _fenced(f"{spec.signature}\n    return 'not a number'\n")


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model, "wrong_everywhere": wrong_everywhere}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds",
            "wrong_everywhere": "does not hold"}
