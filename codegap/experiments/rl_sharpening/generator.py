"""The problems both modes ask, with verified answers, and the chance of solving them by guessing.

Mode B (the organism, default): unit i is training seed i; its instances are
`problems` held-out d-digit additions, drawn from (run seed, i) and never
used to train that seed's models. The answer the organism must write is the
sum reversed and zero-padded (see `codegap.organisms.addition`).

Mode A (two served models): unit i holds `mode_a_problems` arithmetic
expressions "a * b + c * d - e" (a, c, e of three digits; b, d of two), whose
values spread over about 200,000 integers.

Why these: pass@k at large k rewards lucky guesses when the answer space is
small (a four-digit answer sampled at temperature 1 reached pass@16 = 0.98 in
the old design). Here the best guesser that ignores the problem can do no
better than try the k most likely answers; `guess_rate` bounds its success
at k draws, and a test keeps it under 1% at the largest k.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codegap.experiments.answers import make_rng
from codegap.organisms import addition

CLAIM = "rl-sharpening"


@dataclass(frozen=True)
class Problem:
    """One problem: `text` is what the subject reads, `answer` the exact expected output."""

    id: str
    unit: int
    mode: str  # "organism" (Mode B) or "served" (Mode A)
    text: str
    answer: str  # organism: the reversed, zero-padded sum; served: the integer as text
    value: int
    digits: int = 0


def mode_a(params: dict[str, Any]) -> bool:
    """Mode A when both model strings are given (a served base and a served tuned model)."""
    base, tuned = str(params.get("base_model") or ""), str(params.get("rl_model") or "")
    if bool(base) != bool(tuned):
        raise ValueError("rl-sharpening: parameters base_model and rl_model: give both (Mode A: two served "
                         "models) or neither (Mode B: the tiny organism)")
    return bool(base)


def organism_problems(index: int, seed: int, n: int, digits: int) -> list[Problem]:
    """The held-out problems of training seed `index`."""
    sums = addition.draw(seed, (CLAIM, "eval", index), n, digits)
    return [Problem(f"s{index}-p{j}", index, "organism", s.prompt, s.answer, s.a + s.b, digits)
            for j, s in enumerate(sums)]


def expression(rng) -> tuple[str, int]:
    """"a * b + c * d - e" and its value."""
    a, c, e = rng.randint(100, 999), rng.randint(100, 999), rng.randint(100, 999)
    b, d = rng.randint(11, 99), rng.randint(11, 99)
    return f"{a} * {b} + {c} * {d} - {e}", a * b + c * d - e


def served_problems(index: int, seed: int, n: int) -> list[Problem]:
    """The expressions of Mode A unit `index`."""
    rng = make_rng(seed, CLAIM, "served", index)
    out = []
    for j in range(n):
        text, value = expression(rng)
        out.append(Problem(f"u{index}-p{j}", index, "served", text, str(value), value))
    return out


def unit(index: int, seed: int, params: dict[str, Any]) -> list[Problem]:
    """Unit `index` of either mode (a pure function of its arguments)."""
    if mode_a(params):
        return served_problems(index, seed, int(params["mode_a_problems"]))
    return organism_problems(index, seed, int(params["problems"]), int(params["digits"]))


def guess_rate(params: dict[str, Any], k: int | None = None) -> float:
    """Upper bound on solving a problem in k draws by a guesser that ignores it (k: the largest, by default).

    Mode B: exact bound from the sum's distribution (`addition.guess_rate`).
    Mode A: the share of the k most frequent values among 200,000 generated
    expressions (an empirical bound: sampling noise only inflates it).
    """
    k = int(params["samples"]) if k is None else k
    if not mode_a(params):
        return addition.guess_rate(int(params["digits"]), k)
    from collections import Counter

    rng = make_rng(0, CLAIM, "guess-rate")
    counts = Counter(expression(rng)[1] for _ in range(200_000))
    return sum(c for _, c in counts.most_common(k)) / 200_000
