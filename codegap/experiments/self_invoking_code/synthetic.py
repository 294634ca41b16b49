"""Synthetic models that define what the verdict must say (used by the tests).

- `perfect` writes every reference function: `does not hold`.
- `limited` has exactly the claimed failure: it usually writes f alone right
  and g right when f is supplied, but when it has to write f and then build g
  on it, its g is usually wrong (one of g's buggy variants): `holds`.
- `random` writes a function returning a guessed constant, or no code: it must
  never get `holds` (it fails the premise: it cannot write f).
- `harder_g` (a design check): f is always right, g is simply hard (right on
  the same 40% of pairs whether f is supplied or its own). The published drop
  (base - self) is large, but nothing is lost by building on its own f: the
  claim's composition failure is absent, so `does not hold`.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.self_invoking_code.generator import Instance


def _fenced(*functions: str) -> str:
    return "Here is the code.\n\n```python\n" + "\n\n".join(functions) + "```\n"


def _g(inst: Instance, right: bool, rng: random.Random) -> str:
    comp = inst.composite
    return comp.code() if right else comp.mutant(rng.choice(comp.mutants)[0])


def _answer(inst: Instance, arm: str, f_right: bool, g_right: bool, rng: random.Random) -> str:
    spec = inst.problem.spec
    f_code = spec.code() if f_right else spec.mutant(rng.choice(spec.mutants)[0])
    if arm == "base":
        return _fenced(f_code)
    if arm == "supplied":
        return _fenced(_g(inst, g_right, rng))
    return _fenced(f_code, _g(inst, g_right, rng))


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _answer(inst, req.arm, True, True, rng)


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.arm == "base":
        return _answer(inst, "base", rng.random() < 0.9, True, rng)
    if req.arm == "supplied":
        return _answer(inst, "supplied", True, rng.random() < 0.9, rng)
    return _answer(inst, "self_invoking", True, rng.random() < 0.3, rng)


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "First write the helper, then call it in a loop."
    guess = rng.choice(["0", "1", "None", "[]", "-1", str(rng.randint(-5, 20))])
    f = f"{inst.problem.spec.signature}\n    return {guess}\n"
    g = f"{inst.composite.signature}\n    return {guess}\n"
    return _fenced(f) if req.arm == "base" else _fenced(g) if req.arm == "supplied" else _fenced(f, g)


def _hard_for_the_model(inst: Instance) -> bool:
    """The same coin for every arm of a pair (g is hard or not, whoever wrote f)."""
    return int(hashlib.sha256(inst.id.encode()).hexdigest()[:8], 16) % 10 >= 4


def harder_g(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _answer(inst, req.arm, True, not _hard_for_the_model(inst), rng)


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model, "harder_g": harder_g}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds", "harder_g": "does not hold"}
