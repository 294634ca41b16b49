"""Exact scoring of one reply, and what kind of wrong a wrong answer is.

The answer is read with `codegap.experiments.answers` (last "Answer:" marker
whose value has the expected form wins). A reply without a readable answer is
wrong and counted as unparseable; leading zeros of a number do not count.

A wrong answer is classified for the analysis of *how* models fail:
- `familiar convention`: on a counterfactual twin or a check, it is exactly
  what the familiar convention gives on the same text (base-10 sum, rot-13
  decoding, left-to-right value): the familiar form intruding;
- `copied input`: it repeats one of the numbers or the cipher text shown;
- `wrong`: anything else.

A reply that ends in a repeating loop (small models decoding a cipher repeat
one line until the budget runs out) is marked `looping`: a larger budget
would not have ended it, so the truncation premise does not count it as cut
off by the budget (the answer is still scored, usually unparseable).
"""

from __future__ import annotations

import re
import zlib

from codegap.experiments.answers import final_line, parse_int_answer, parse_token_answer
from codegap.experiments.base import Graded
from codegap.experiments.cot_imitation.generator import DIGITS, LETTERS, Instance

FAMILIAR = "familiar convention"
COPIED = "copied input"
WRONG = "wrong"

#: A base annotation right after a number ("761_9", "761_{9}", "761₉", "761 (base 9)", "761 in base-9"):
#: it names the base, it is not part of the number, so it is dropped before the answer is read.
_BASE_NOTE = re.compile(r"(?<=\d)(?:_\{?\d+\}?|[\u2080-\u2089]+|\s*\(\s*(?:in\s+)?base[- ]?\d+\s*\)"
                        r"|\s+in\s+base[- ]?\d+)", re.I)


#: A final-line answer given as the one quoted or bold word ('The original English word is "dragon".').
_QUOTED = re.compile(r"[\"\u201c\u201d*']+([A-Za-z]+)[\"\u201c\u201d*']+")
#: The tail a loop is judged on, and the compression ratio below which it is one: measured on the
#: pilot replies (seed 1000), text tails compress to 0.41-0.70 of their size, loops to 0.03-0.25.
LOOP_TAIL, LOOP_RATIO = 600, 0.3


def looping(reply: str) -> bool:
    """True when the reply ends in a repeating loop: its last 600 characters compress to under 30%."""
    tail = reply[-LOOP_TAIL:].encode()
    return len(tail) >= LOOP_TAIL and len(zlib.compress(tail, 9)) < LOOP_RATIO * len(tail)


def _quoted_word(reply: str) -> str | None:
    words = {w.lower() for w in _QUOTED.findall(final_line(reply))}
    return words.pop() if len(words) == 1 else None


def read_answer(inst: Instance, reply: str) -> str | None:
    """The answer the reply gives, normalised to the form of `inst.answer`, or None."""
    if inst.family == "base":
        value = parse_token_answer(_BASE_NOTE.sub("", reply), DIGITS)
        return None if value is None else value.lstrip("0") or "0"
    if inst.family == "rot":
        value = parse_token_answer(reply, LETTERS) or _quoted_word(reply)
        if value is None or (inst.variant == "check" and len(value) != 1):
            return None
        return value
    number = parse_int_answer(reply)
    return None if number is None else str(number)


def classify(inst: Instance, value: str) -> str:
    """right / familiar convention / copied input / wrong, for a readable answer."""
    if value == inst.answer:
        return "right"
    if inst.variant != "familiar" and value == inst.familiar_answer:
        return FAMILIAR
    if value in inst.inputs:
        return COPIED
    return WRONG


def grade(inst: Instance, reply: str) -> Graded:
    value = read_answer(inst, reply)
    if value is None:
        return Graded(False, True, None, "no readable answer")
    kind = classify(inst, value)
    return Graded(kind == "right", False, value, "" if kind == "right" else kind)
