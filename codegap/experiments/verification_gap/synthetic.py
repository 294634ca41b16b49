"""Three synthetic models that define what the verdict must say (used by the tests).

- `perfect` writes the right function at once, keeps it when asked to review or
  shown passing tests, repairs the planted bug, and judges every candidate
  correctly: it can verify without running anything, so the claim must come out
  `does not hold`.
- `limited` has exactly the claimed limitation: it cannot tell right code from
  wrong without running it. Its first answer is right half the time; asked to
  review, it revises blindly half the time (to another plausible variant, right
  or wrong, so a right answer is usually broken and a wrong one rarely fixed);
  as a verifier it accepts most candidates whatever they are; shown failing
  tests, it fixes the function, and shown passing tests it keeps it. The claim
  must come out `holds`.
- `random` ignores what it was asked: each reply is a random function variant
  (right or wrong), a random verdict, or a few words, with equal chance. It must
  never get `holds`. (A random model that
  always writes a plausible variant is tested against the rule directly, without
  the server, in `tests/experiments/verification_gap/test_rule.py`.)

The server recognises a request by its first-round prompt; the two chain arms
share that prompt, so a policy tells a review round from a feedback round by
the last user message, never by the request's arm.
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.verification_gap import task
from codegap.experiments.verification_gap.generator import Instance, render, wrong_variants
from codegap.experiments.verification_gap.grader import find_answer


def _code(text: str) -> str:
    return task.fenced(text)


def _turn(req: Request, messages: list[dict[str, Any]]) -> str:
    """first | review | feedback_fail | feedback_pass | format | verify_right | verify_wrong | planted."""
    if req.arm in ("verify_right", "verify_wrong", "planted"):
        return req.arm
    if not any(m["role"] == "assistant" for m in messages):
        return "first"
    last = messages[-1]["content"]
    if last == task.REVIEW:
        return "review"
    if last.startswith("Your reply did not contain"):
        return "format"
    if "passed all of them" in last:
        return "feedback_pass"
    return "feedback_fail"


def _previous(messages: list[dict[str, Any]]) -> str:
    return next(m["content"] for m in reversed(messages) if m["role"] == "assistant")


def _variants(inst: Instance) -> list[str]:
    """The right function first, then every one-edit wrong variant."""
    return [inst.right_code] + [render(steps) for steps, _ in wrong_variants(inst)]


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    turn = _turn(req, messages)
    if turn == "verify_right":
        return "Every step matches the specification.\nVerdict: correct"
    if turn == "verify_wrong":
        return f"One step does not match the specification ({inst.mutation}).\nVerdict: wrong"
    return _code(inst.right_code)


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    turn = _turn(req, messages)
    variants = _variants(inst)
    if turn == "first":
        return _code(inst.right_code if rng.random() < 0.5 else rng.choice(variants[1:]))
    if turn in ("verify_right", "verify_wrong"):
        return "It looks right to me.\nVerdict: correct" if rng.random() < 0.8 else "Something is off.\nVerdict: wrong"
    if turn in ("review", "planted"):
        current = inst.wrong_code if turn == "planted" else find_answer(_previous(messages)).code
        if rng.random() < 0.5:
            return _code(current)  # "looks fine": the same function again
        others = [v for v in variants if v != current]
        return "I found a problem and fixed it.\n" + _code(rng.choice(others))  # a blind revision
    if turn == "feedback_pass":
        return _previous(messages)
    return _code(inst.right_code)  # failing tests (or no function) shown: it fixes the function


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    """Ignores what was asked: a random function variant, a random verdict, or words, with equal chance."""
    kind = rng.randrange(3)
    if kind == 0:
        return _code(rng.choice(_variants(inst)))
    if kind == 1:
        return rng.choice(["Verdict: correct", "Verdict: wrong"])
    return rng.choice(["I am not sure what to write.", "transform", "```python\nxs = sorted(xs)\n```"])


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
