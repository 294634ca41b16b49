"""Iterative procedures described in words, with a chosen number of dependent steps.

Why prose: if the procedure were shown as Python, a "write code" arm would
only copy it, and a perfect score would say nothing about formalising a
procedure. Each instance is therefore a procedure in words that no Python
interpreter can run as written (a test checks every generated text), and the
code arm has to turn it into a program.

Three kinds, all with exact integer answers and operand sizes that do not
grow with depth (so deeper instances are longer, not bigger):

- `recurrence`: "multiply by m, add c, take the remainder mod p", repeated;
  every value lies in [0, p).
- `program`: a chain of named quantities, each the previous one plus or
  minus a constant or an earlier quantity; every value lies in [100, 999].
- `digits`: a described algorithm on a row of four digits (append the last
  digit of the sum of the last two, drop the first); every value is a row of
  four digits.

The generator computes every intermediate value (`trace`), so each instance
carries its verified answer, and a wrong answer can be classified as "an
intermediate value" (a slip in counting or one step) or "in range but never
reached" (a plausible value the procedure did not produce).

Newton's method is not a kind: its iterates converge, so the value after many
steps is the root, which a model can approximate without iterating; accuracy
could then rise with depth and the depth curve would not measure execution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from codegap.experiments.answers import make_rng

Kind = Literal["recurrence", "program", "digits"]
KINDS: tuple[Kind, ...] = ("recurrence", "program", "digits")

#: `program` values stay in this band at every step (operand size constant across depth)
BAND = (100, 999)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
             "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
             "seventeenth")
_TIMES = {1: "once", 2: "twice"}


@dataclass(frozen=True)
class Instance:
    """One generated procedure and its verified result."""

    id: str
    unit: int
    kind: Kind
    depth: int
    text: str  # the procedure, in words
    question: str
    answer: str  # exact answer as text (an integer, or a row of four digits)
    trace: tuple[str, ...]  # every value from the start to the answer
    low: int  # smallest value the procedure can produce (range check of wrong answers)
    high: int


def _repeat(depth: int) -> str:
    """"once," / "twice in a row," / "8 times in a row,": how many times a step is done."""
    return "once," if depth == 1 else f"{_TIMES.get(depth, f'{depth} times')} in a row,"


def _recurrence(rng, depth: int) -> tuple[str, str, list[int], int, int]:
    p = rng.choice([17, 19, 23, 29, 31, 37, 41, 43])
    m = rng.randint(2, p - 2)
    c = rng.randint(1, p - 1)
    values = [rng.randint(1, p - 1)]
    for _ in range(depth):
        values.append((m * values[-1] + c) % p)
    text = (f"Start with the number {values[0]}. Then {_repeat(depth)} do the following to the "
            f"current number: multiply it by {m}, add {c} to the product, and replace the result by its "
            f"remainder after division by {p}.")
    return text, "What is the number at the end?", values, 0, p - 1


def _program(rng, depth: int) -> tuple[str, str, list[int], int, int]:
    lo, hi = BAND
    values = [rng.randint(lo + 50, hi - 50)]
    sentences = [f"The first number is {values[0]}."]
    for i in range(1, depth + 1):
        prev = values[-1]
        for _ in range(200):
            if i >= 2 and rng.random() < 0.35:
                j = rng.randrange(0, i - 1)  # an earlier quantity: a real dependency, not a chain of constants
                sign = rng.choice(["plus", "minus"])
                val = prev + values[j] if sign == "plus" else prev - values[j]
                phrase = f"the {_ORDINALS[i - 1]} number {sign} the {_ORDINALS[j]} number"
            else:
                k = rng.choice([x for x in range(13, 380) if x % 10 not in (0, 5)])
                sign = rng.choice(["plus", "minus"])
                val = prev + k if sign == "plus" else prev - k
                phrase = f"the {_ORDINALS[i - 1]} number {sign} {k}"
            if lo <= val <= hi:
                break
        else:  # pragma: no cover - 200 draws always find a value in the band
            val, phrase = prev, f"the {_ORDINALS[i - 1]} number plus 0"
        values.append(val)
        sentences.append(f"The {_ORDINALS[i]} number is {phrase}.")
    return " ".join(sentences), f"What is the {_ORDINALS[depth]} number?", values, lo, hi


def _digits(rng, depth: int) -> tuple[str, str, list[str], int, int]:
    row = [rng.randint(0, 9) for _ in range(4)]
    rows = ["".join(map(str, row))]
    for _ in range(depth):
        row = row[1:] + [(row[-2] + row[-1]) % 10]
        rows.append("".join(map(str, row)))
    start = ", ".join(rows[0])
    text = (f"Write down the four digits {start} in a row. Then {_repeat(depth)} do this: add "
            "the last two digits of the row, keep only the last digit of that sum, remove the first digit "
            "of the row, and write the new digit at the end of the row, so the row always has four digits.")
    return text, "What are the four digits of the row at the end, from first to last?", rows, 0, 9999


def make(kind: Kind, depth: int, seed: int, unit: int) -> Instance:
    """The instance of `kind` and `depth` for unit `unit`: a pure function of its arguments."""
    if depth < 1 or depth > len(_ORDINALS) - 1:
        raise ValueError(f"iterative-execution: depth must be in 1..{len(_ORDINALS) - 1}, got {depth}")
    if kind not in KINDS:
        raise ValueError(f"iterative-execution: kind must be one of {KINDS}, got {kind!r}")
    rng = make_rng(seed, "iterative-execution", kind, depth, unit)
    text, question, values, low, high = {"recurrence": _recurrence, "program": _program,
                                         "digits": _digits}[kind](rng, depth)
    trace = tuple(str(v) for v in values)
    return Instance(f"u{unit}-{kind}-d{depth}", unit, kind, depth, text, question, trace[-1], trace, low, high)


def unit(index: int, seed: int, depths: Sequence[int], kinds: Sequence[Kind]) -> list[Instance]:
    """Unit `index`: one instance per depth, all of the unit's kind (kinds take turns across units)."""
    if not kinds:
        raise ValueError("iterative-execution: kinds must not be empty")
    kind = kinds[index % len(kinds)]
    return [make(kind, d, seed, index) for d in sorted(depths)]
