"""Three synthetic models that define what the verdict must say (used by the tests).

- `perfect` answers every arm correctly: the claim must come out `does not hold`.
- `limited` has exactly the claimed limitation: in its head it gets a one-step
  procedure right but, for longer ones, recognises the template and emits a
  plausible value the procedure never reaches; written as code, it executes
  every step correctly. The claim must come out `holds`.
- `random` guesses: it must never get `holds`.
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.iterative_execution.generator import Instance


def _plausible_wrong(inst: Instance, rng: random.Random) -> str:
    for _ in range(1000):
        if inst.kind == "digits":
            cand = "".join(str(rng.randint(0, 9)) for _ in range(4))
        else:
            cand = str(rng.randint(inst.low, inst.high))
        if cand not in inst.trace:
            return cand
    raise AssertionError("no plausible wrong value")  # pragma: no cover


def _say(inst: Instance, arm: str, value: str) -> str:
    if arm == "code":
        return f"```python\nprint({value!r})\n```"
    if arm == "cot" and value == inst.answer:
        return "\n".join(f"Step {i}: {v}" for i, v in enumerate(inst.trace[1:], 1)) + f"\nAnswer: {value}"
    if arm == "cot":
        return f"This is the usual pattern for such procedures.\nAnswer: {value}"
    return value


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _say(inst, req.arm, inst.answer)


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.arm == "code" or inst.depth == 1:
        return _say(inst, req.arm, inst.answer)
    return _say(inst, req.arm, _plausible_wrong(inst, rng))


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    value = "".join(str(rng.randint(0, 9)) for _ in range(4)) if inst.kind == "digits" else str(rng.randint(0, 999))
    return _say(inst, req.arm, value) if rng.random() < 0.8 else "I am not sure."


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
