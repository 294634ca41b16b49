"""Synthetic models that define what the verdict must say (used by the tests).

The three every check has (`EXPECTED`, run by tests/experiments/test_synthetic.py):

- `perfect` answers everything right: CoT carries to the counterfactual twin,
  so the claim must come out `does not hold`.
- `limited` has exactly the claimed limitation: it knows the counterfactual
  rule (the one-step check is right) and its chain of thought solves the
  familiar twin, but on the counterfactual twin its reasoning reproduces the
  familiar form and ends at the familiar convention's answer (right only 5%
  of the time, with or without CoT). Direct answers on the familiar twin are
  right half the time (the items are hard enough for CoT to help). It must get
  `holds`.
- `random` guesses in each answer space and sometimes gives no answer: it
  must never get `holds`.

Baselines the tests also run (`BASELINES`, with the verdict each must get):

- `cot_floor`: the 0.5B model's pattern under the old design: direct answers
  recite the familiar twin, chains of thought never reach a right answer.
  The CoT premise gate must fire (`premise not met`), where the old rule said
  `does not hold`.
- `ceiling_imitator`: a strong reciter, direct answers always right on the
  familiar twin (no room for a CoT gain there), counterfactual twins answered
  in the familiar convention with and without CoT. The old rule could never
  say `holds` for it; this one must.
- `follower`: direct answers recite (familiar right, counterfactual wrong), but
  CoT follows the stated procedure and solves both twins: `does not hold`.
- `familiar_convention`: ignores the framing and always answers in the
  familiar convention, the check too: `premise not met` (it never shows it
  read the counterfactual rule, so its failures say nothing about CoT).
- `copy_input`: repeats the first number or the cipher text: `premise not met`.
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.cot_imitation.generator import DIGITS, LETTERS, WORDS, Instance


def _near_miss(inst: Instance, rng: random.Random) -> str:
    """A wrong answer of the right form: one digit or letter changed, never a convention's answer."""
    for _ in range(1000):
        chars = list(inst.answer)
        i = rng.randrange(len(chars))
        pool = LETTERS if inst.family == "rot" else DIGITS[1:] if i == 0 else DIGITS
        chars[i] = rng.choice(pool)
        cand = "".join(chars)
        if cand not in (inst.answer, inst.familiar_answer) and cand not in inst.inputs:
            return cand
    raise AssertionError("no near miss found")  # pragma: no cover


def _say(inst: Instance, arm: str, value: str) -> str:
    if arm == "direct":
        return f"Answer: {value}"
    steps = {"base": "I add the digits column by column, carrying where needed.",
             "rot": "I shift each letter back along the alphabet.",
             "precedence": "I apply the stated order to the operations one by one."}[inst.family]
    return f"Let's think step by step.\n{steps}\nAnswer: {value}"


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _say(inst, req.arm, inst.answer)


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if inst.variant == "check":
        return _say(inst, req.arm, inst.answer)
    if inst.variant == "familiar":
        right = req.arm == "cot" or rng.random() < 0.5
        return _say(inst, req.arm, inst.answer if right else _near_miss(inst, rng))
    return _say(inst, req.arm, inst.answer if rng.random() < 0.05 else inst.familiar_answer)


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "I am not sure."
    if inst.family == "rot":
        value = rng.choice(LETTERS) if inst.variant == "check" else rng.choice(WORDS)
    else:
        value = str(rng.randint(1, 10 ** len(inst.answer) - 1))
    return _say(inst, req.arm, value)


def cot_floor(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if req.arm == "cot":
        return _say(inst, req.arm, _near_miss(inst, rng))
    if inst.variant == "familiar":
        return _say(inst, req.arm, inst.answer if rng.random() < 0.92 else _near_miss(inst, rng))
    if inst.variant == "check":
        return _say(inst, req.arm, inst.answer)
    return _say(inst, req.arm, inst.familiar_answer)


def ceiling_imitator(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _say(inst, req.arm, inst.familiar_answer if inst.variant == "counterfactual" else inst.answer)


def follower(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    if inst.variant == "counterfactual" and req.arm == "direct":
        return _say(inst, req.arm, inst.familiar_answer)
    return _say(inst, req.arm, inst.answer)


def familiar_convention(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _say(inst, req.arm, inst.familiar_answer)


def copy_input(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return _say(inst, req.arm, inst.inputs[0])


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model, "cot_floor": cot_floor,
            "ceiling_imitator": ceiling_imitator, "follower": follower,
            "familiar_convention": familiar_convention, "copy_input": copy_input}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
#: further baselines, with the verdict each must get (tests/experiments/cot_imitation)
BASELINES = {"cot_floor": "premise not met", "ceiling_imitator": "holds", "follower": "does not hold",
             "familiar_convention": "premise not met", "copy_input": "premise not met"}
