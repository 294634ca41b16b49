"""Three synthetic organisms that define what the verdict must say (used by the tests).

They replace the trained organisms' outputs (no training runs): each policy
answers one draw of one arm. Problems fall into thirds by a digest of their
id (the same problem is equally hard for every arm and seed):

- `perfect` is the claim's opposite, RL that expands: the base solves the
  easy third half the time and nothing else; RL solves every problem every
  time. pass@1 rises and so does pass@k: the claim must come out `does not hold`.
- `limited` has exactly the claimed limitation, sharpening: the base solves
  the easy third with probability 0.6 and the middle third with 0.03 (so it
  covers most of the middle third at k = 64); RL always solves the easy third
  and never the rest. The claim must come out `holds`.
- `random` writes a random digit string: it must never get `holds` (the
  premise that the base solves something fails).

The controls (cooled base, continued SFT) answer like the base model.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.rl_sharpening.generator import Problem


def third(p: Problem) -> int:
    """0 (easy), 1 (middle) or 2 (hard): fixed per problem."""
    return hashlib.sha256(p.id.encode()).digest()[0] % 3


def _wrong(p: Problem, rng: random.Random) -> str:
    while True:
        cand = "".join(str(rng.randint(0, 9)) for _ in range(len(p.answer)))
        if cand != p.answer:
            return cand


def _draw(p: Problem, prob: float, rng: random.Random) -> str:
    return p.answer if rng.random() < prob else _wrong(p, rng)


def perfect(p: Problem, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.role == "rl":
        return p.answer
    return _draw(p, 0.5 if third(p) == 0 else 0.0, rng)


def limited(p: Problem, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    t = third(p)
    if req.role == "rl":
        return p.answer if t == 0 else _wrong(p, rng)
    return _draw(p, {0: 0.6, 1: 0.03, 2: 0.0}[t], rng)


def random_model(p: Problem, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(len(p.answer)))


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
