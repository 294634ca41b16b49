"""Held-out problems with the three teachers' answers, and the teachers themselves.

The organism's task is 3-digit addition (`codegap.organisms.addition`). Three
teachers write the demonstrations a student is fine-tuned on:

- `clean`: always right (the control that shows the student can learn the task);
- `systematic`: forgets the carry into the tens digit whenever both units
  digits are 5 or more, so it is wrong, by 10, on exactly the problems with
  that property: a quarter of uniformly drawn problems, every time;
- `noisy`: wrong, by 10 up or down, on a random quarter of problems (decided
  by a digest of the seed and the problem, so the same problem always gets the
  same label), right on the rest.

Both wrong teachers have the same error rate (`ERROR_RATE`) and the same kind
of error (a tens digit off by one); they differ only in whether the errors
follow a rule the student could learn. Each instance carries every teacher's
answer, so the analysis can compare a student with its own teacher on the
same held-out problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codegap.experiments.answers import make_rng
from codegap.organisms import addition

CLAIM = "sft-ceiling"
TEACHERS = ("clean", "systematic", "noisy")
#: share of uniformly drawn problems the systematic teacher gets wrong (both units digits in 5..9),
#: and the noisy teacher's error rate, set equal to it
ERROR_RATE = 0.25


@dataclass(frozen=True)
class Problem:
    """One held-out problem and what each teacher would answer (all written as the model writes sums)."""

    id: str
    unit: int
    a: int
    b: int
    digits: int
    text: str
    answer: str
    systematic: str
    noisy: str

    @property
    def value(self) -> int:
        return self.a + self.b


def systematic_value(a: int, b: int) -> int:
    """The systematic teacher: no carry into the tens when both units digits are 5 or more."""
    return a + b - 10 if a % 10 >= 5 and b % 10 >= 5 else a + b


def noisy_value(seed: int, unit: int, a: int, b: int, digits: int) -> int:
    """The noisy teacher: off by 10 (up or down, staying in range) on a random ERROR_RATE of problems."""
    rng = make_rng(seed, CLAIM, "noise", unit, a, b)
    if rng.random() >= ERROR_RATE:
        return a + b
    up = rng.random() < 0.5
    top = 2 * (10 ** digits - 1)
    if a + b < 10 or (up and a + b + 10 <= top):
        return a + b + 10
    return a + b - 10


def teacher_value(teacher: str, seed: int, unit: int, a: int, b: int, digits: int) -> int:
    if teacher == "clean":
        return a + b
    if teacher == "systematic":
        return systematic_value(a, b)
    if teacher == "noisy":
        return noisy_value(seed, unit, a, b, digits)
    raise ValueError(f"sft-ceiling: teacher must be one of {TEACHERS}, got {teacher!r}")


def unit(index: int, seed: int, params: dict[str, Any]) -> list[Problem]:
    """The held-out problems of training seed `index` (a pure function of its arguments)."""
    d = int(params["digits"])
    out = []
    for j, s in enumerate(addition.draw(seed, (CLAIM, "eval", index), int(params["eval_problems"]), d)):
        out.append(Problem(f"s{index}-p{j}", index, s.a, s.b, d, s.prompt, s.answer,
                           addition.write_sum(systematic_value(s.a, s.b), d),
                           addition.write_sum(noisy_value(seed, index, s.a, s.b, d), d)))
    return out


def training_problems(index: int, seed: int, params: dict[str, Any], held_out: list[Problem]) -> list[addition.Sum]:
    """The largest training set of seed `index`; smaller sizes are its first n problems (nested)."""
    d = int(params["digits"])
    exclude = frozenset((p.a, p.b) for p in held_out)
    return addition.draw(seed, (CLAIM, "train", index), max(int(n) for n in params["sizes"]), d, exclude=exclude)
