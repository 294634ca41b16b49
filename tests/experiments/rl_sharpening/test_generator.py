"""rl-sharpening problems: verified answers, pure units, held-out sets, and a guessing bound under 1%."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.claims import claim_by_id
from codegap.experiments.answers import make_rng
from codegap.experiments.rl_sharpening import generator, organism

DEFAULTS = dict(claim_by_id("rl-sharpening").experiment.parameters)
MODE_A = {**DEFAULTS, "base_model": "openai-api/a/base", "rl_model": "openai-api/b/tuned"}


def column_sum(prompt: str) -> int:
    """An independent route to the sum: digit-by-digit addition with carries, from the prompt text."""
    a, b = prompt.rstrip("=").split("+")
    carry, digits = 0, []
    for x, y in zip(reversed(a), reversed(b)):
        carry, d = divmod(int(x) + int(y) + carry, 10)
        digits.append(d)
    digits.append(carry)
    return int("".join(map(str, reversed(digits))))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), index=st.integers(0, 50))
def test_organism_problems_carry_verified_answers(seed: int, index: int) -> None:
    probs = generator.unit(index, seed, DEFAULTS)
    assert len(probs) == DEFAULTS["problems"] and len({p.id for p in probs}) == len(probs)
    for p in probs:
        assert p.mode == "organism" and p.unit == index
        assert re.fullmatch(r"\d{4}\+\d{4}=", p.text)
        assert p.value == column_sum(p.text)
        assert p.answer == str(p.value).zfill(5)[::-1]  # what the organism must write


def test_units_are_pure_and_do_not_depend_on_batching() -> None:
    alone = generator.unit(3, 7, DEFAULTS)
    in_order = [generator.unit(i, 7, DEFAULTS) for i in range(5)]
    assert alone == in_order[3] == generator.unit(3, 7, DEFAULTS)
    assert generator.unit(3, 8, DEFAULTS) != alone
    assert {p.text for p in in_order[0]} != {p.text for p in in_order[1]}


def test_training_and_calibration_problems_never_include_held_out_ones() -> None:
    probs = generator.unit(0, 0, DEFAULTS)
    cal, train = organism.problem_sets(0, 0, probs, DEFAULTS)
    held = {p.text for p in probs}
    assert len(train) == DEFAULTS["train_problems"] and len(cal) == DEFAULTS["calibration_problems"]
    assert not held & {s.prompt for s in train} and not held & {s.prompt for s in cal}
    assert not {s.prompt for s in cal} & {s.prompt for s in train}


def test_served_problems_carry_verified_answers() -> None:
    for p in generator.unit(2, 11, MODE_A):
        assert p.mode == "served" and re.fullmatch(r"\d{3} \* \d{2} \+ \d{3} \* \d{2} - \d{3}", p.text)
        assert p.value == eval(p.text, {"__builtins__": {}})  # independent route: Python's own arithmetic
        assert p.answer == str(p.value)
    assert len(generator.unit(0, 0, MODE_A)) == MODE_A["mode_a_problems"]


def test_mode_needs_both_model_strings_or_neither() -> None:
    assert not generator.mode_a(DEFAULTS) and generator.mode_a(MODE_A)
    with pytest.raises(ValueError, match="base_model and rl_model"):
        generator.mode_a({**DEFAULTS, "base_model": "openai/gpt-4o"})


def test_guessing_cannot_succeed_at_the_largest_k() -> None:
    """Design fix (issue 9): the answer space is far larger than k, so guessing stays under 1% at k >= 64."""
    k = DEFAULTS["samples"]
    assert k >= 64
    assert generator.guess_rate(DEFAULTS) < 0.01
    assert generator.guess_rate(MODE_A) < 0.01
    # Empirically: a guesser that tries the 64 most frequent sums of the training distribution
    rng = make_rng(0, "guesser")
    d = DEFAULTS["digits"]
    sums = Counter(rng.randrange(10 ** d) + rng.randrange(10 ** d) for _ in range(100_000))
    guesses = {v for v, _ in sums.most_common(k)}
    probs = [p for i in range(20) for p in generator.unit(i, 1, DEFAULTS)]
    assert sum(p.value in guesses for p in probs) / len(probs) < 0.01
