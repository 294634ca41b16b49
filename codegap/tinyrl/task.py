"""The tiny model's task: d-digit addition, answer written least-significant digit first.

Why this task: the answer is checked exactly (a verifier reward), instances
are generated from a seed, and a small transformer learns it only partly in a
short CPU budget, so its samples are diverse -- the regime where pass@1 and
pass@k can disagree. Operands are zero-padded to d digits and the sum to d+1
digits, so every sequence has the same length (no padding or masks needed),
and the sum is written reversed so each digit comes after the digits it
depends on (the usual trick for small transformers).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

VOCAB = "0123456789+="
STOI = {ch: i for i, ch in enumerate(VOCAB)}


@dataclass(frozen=True)
class AddProblem:
    a: int
    b: int
    digits: int

    @property
    def prompt(self) -> str:
        d = self.digits
        return f"{self.a:0{d}d}+{self.b:0{d}d}="

    @property
    def answer(self) -> str:
        """The sum, zero-padded to digits+1 and reversed (what the model must write)."""
        return str(self.a + self.b).zfill(self.digits + 1)[::-1]

    def check(self, text: str) -> bool:
        """The verifier: exact match of the generated answer."""
        return text == self.answer


def encode(text: str) -> list[int]:
    try:
        return [STOI[ch] for ch in text]
    except KeyError as exc:
        raise ValueError(f"tinyrl: character {exc.args[0]!r} is not in the vocabulary {VOCAB!r}") from None


def decode(ids: list[int]) -> str:
    return "".join(VOCAB[i] for i in ids)


def problems(seed: int, n: int, digits: int, *, exclude: frozenset[tuple[int, int]] = frozenset(),
             salt: str = "") -> list[AddProblem]:
    """`n` distinct problems of `digits`-digit operands (zero-padded), none in `exclude`."""
    hi = 10 ** digits - 1
    if n > (hi + 1) ** 2 - len(exclude):
        raise ValueError(f"tinyrl: cannot draw {n} distinct {digits}-digit problems")
    rng = random.Random(f"tinyrl|{seed}|{digits}|{salt}")
    seen: set[tuple[int, int]] = set(exclude)
    out: list[AddProblem] = []
    while len(out) < n:
        pair = (rng.randint(0, hi), rng.randint(0, hi))
        if pair in seen:
            continue
        seen.add(pair)
        out.append(AddProblem(pair[0], pair[1], digits))
    return out
