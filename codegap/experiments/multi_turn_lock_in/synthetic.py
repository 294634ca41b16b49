"""Synthetic models that define what the verdict must say (used by the tests).

- `perfect` writes the right function for whatever it has been told: in one
  turn the whole task, in SHARDED turn by turn the requirements said so far
  (smallest first until the direction is said), so its last answer is right.
  CONCAT minus SHARDED is zero: `does not hold`.
- `limited` has exactly the claimed limitation: told everything at once it is
  right (nine times in ten); told piecemeal it commits to smallest first in its
  first answer and, three times in four, keeps that assumption when the user
  later asks for largest first, while it adds every other requirement
  correctly: `holds`.
- `random` ignores the conversation: each reply is, with equal chance, a
  sentence without code or one of the task's 16 variants (any requirements
  left out, either direction; one is right): it must never get `holds`.

A model confused by the list wording itself (FULL high, CONCAT and SHARDED equally low) is
tested on graded rows in `tests/experiments/multi_turn_lock_in/test_check.py`: it must not hold.
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.multi_turn_lock_in.generator import KINDS, Instance, Spec


def _code(spec: Spec) -> str:
    return f"```python\n{spec.code()}```"


def _told(inst: Instance, round: int) -> Spec:
    missing = tuple(k for k in KINDS if k not in inst.revealed(round))
    return inst.spec.variant(without=missing)


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.arm != "sharded":
        return _code(inst.spec)
    return _code(_told(inst, round))


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.arm != "sharded":
        return _code(inst.spec if rng.random() < 0.9 else inst.spec.variant(without=("extra",)))
    # one decision per conversation (the rng differs per turn): does it recover when told the direction?
    recovers = random.Random(f"{inst.id}:recovers").random() < 0.25
    spec = _told(inst, round)
    if "order" in inst.revealed(round) and not recovers:
        spec = spec.variant(direction="ascending")  # the first turn's assumption, kept
    return _code(spec)


def _variants(inst: Instance) -> list[Spec]:
    """Every way to meet or miss the requirements: any subset left out, either direction (16 programs)."""
    subsets = [tuple(k for k, bit in zip(("keep", "transform", "extra"), f"{m:03b}") if bit == "1") for m in range(8)]
    return [inst.spec.variant(direction=d, without=w) for w in subsets for d in ("descending", "ascending")]


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(["Could you tell me more about what the function should do?",
                           "Here is the idea: filter, transform and sort the list.", "process"])
    return _code(rng.choice(_variants(inst)))


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
