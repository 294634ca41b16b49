"""The organisms' task: addition of two d-digit numbers, the sum written least-significant digit first.

Why this task:
- the answer is checked exactly (a verifier reward needs no model);
- its answer space is large: a d-digit sum has d+1 digits, about 2·10^d
  possible values, so a sampler that guesses cannot succeed even with 64 tries
  (`guess_rate` gives the exact chance, a test keeps it under 1%);
- a small transformer learns it only partly in a short budget, so its samples
  vary (the regime where pass@1 and pass@k can disagree), yet learns it fully
  from a few thousand correct demonstrations (so a teacher's errors, not the
  model's capacity, can set a ceiling);
- difficulty varies between problems (carry chains), so "problems the model
  can solve" is not all or nothing.

Operands are zero-padded to d digits and the sum to d+1 digits, so every
sequence has the same length; the sum is written reversed so each digit
comes after the digits it depends on (the usual trick for small transformers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch

from codegap.experiments.answers import make_rng

VOCAB = "0123456789+="
STOI = {ch: i for i, ch in enumerate(VOCAB)}


@dataclass(frozen=True)
class Sum:
    """One addition problem."""

    a: int
    b: int
    digits: int

    @property
    def prompt(self) -> str:
        d = self.digits
        return f"{self.a:0{d}d}+{self.b:0{d}d}="

    @property
    def answer(self) -> str:
        """The true sum as the model must write it."""
        return write_sum(self.a + self.b, self.digits)


def write_sum(value: int, digits: int) -> str:
    """A sum as the model writes it: zero-padded to digits+1, least-significant digit first."""
    if not 0 <= value < 10 ** (digits + 1):
        raise ValueError(f"addition: {value} does not fit in {digits + 1} digits")
    return str(value).zfill(digits + 1)[::-1]


def read_sum(text: str, digits: int) -> int | None:
    """The value of an answer written by the model, or None when it is not d+1 digits."""
    text = text.strip()
    if len(text) != digits + 1 or not text.isdigit():
        return None
    return int(text[::-1])


def encode(text: str) -> list[int]:
    try:
        return [STOI[ch] for ch in text]
    except KeyError as exc:
        raise ValueError(f"addition: character {exc.args[0]!r} is not in the vocabulary {VOCAB!r}") from None


def decode(ids: Iterable[int]) -> str:
    return "".join(VOCAB[int(i)] for i in ids)


def tensor(texts: Sequence[str]) -> torch.Tensor:
    """Equal-length texts as one (rows, length) token tensor."""
    return torch.tensor([encode(t) for t in texts], dtype=torch.long)


def seq_len(digits: int) -> int:
    """Prompt plus answer length: the model's context size."""
    return 2 * digits + 2 + digits + 1


def draw(seed: int, labels: Sequence[object], n: int, digits: int, *,
         exclude: frozenset[tuple[int, int]] = frozenset()) -> list[Sum]:
    """`n` distinct problems, none in `exclude`: a pure function of (seed, labels, n, digits)."""
    if digits < 1:
        raise ValueError(f"addition: digits must be at least 1, got {digits}")
    hi = 10 ** digits - 1
    if n > (hi + 1) ** 2 - len(exclude):
        raise ValueError(f"addition: cannot draw {n} distinct {digits}-digit problems")
    rng = make_rng(seed, "addition", *labels)
    seen: set[tuple[int, int]] = set(exclude)
    out: list[Sum] = []
    while len(out) < n:
        pair = (rng.randint(0, hi), rng.randint(0, hi))
        if pair in seen:
            continue
        seen.add(pair)
        out.append(Sum(pair[0], pair[1], digits))
    return out


def sum_distribution_max(digits: int) -> float:
    """The largest probability of any single sum when both operands are uniform d-digit numbers.

    The sum of two independent uniform values on 0..N-1 is triangular; its
    mode (N-1) has probability N / N^2 = 1/N.
    """
    return 1.0 / 10 ** digits


def guess_rate(digits: int, k: int) -> float:
    """Chance that k guesses solve a problem, for the best guesser that ignores the problem.

    Such a guesser can do no better than to try the k most likely sums; each
    has probability at most 1/N (see `sum_distribution_max`), so its success
    chance is at most k/N. This bound is what the checks' guess-rate test uses.
    """
    return min(1.0, k * sum_distribution_max(digits))


def uniform_guess_rate(digits: int, k: int) -> float:
    """Chance that k uniform random (d+1)-digit strings include the right one."""
    space = 10 ** (digits + 1)
    return 1.0 - math.exp(k * math.log1p(-1.0 / space))
