"""sft-ceiling problems and teachers: verified answers, equal error rates, errors of one kind, pure units."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.claims import claim_by_id
from codegap.experiments.sft_ceiling import generator

DEFAULTS = dict(claim_by_id("sft-ceiling").experiment.parameters)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), index=st.integers(0, 20))
def test_problems_carry_the_true_sum_and_both_wrong_teachers_answers(seed: int, index: int) -> None:
    probs = generator.unit(index, seed, DEFAULTS)
    assert len(probs) == DEFAULTS["eval_problems"] and len({p.id for p in probs}) == len(probs)
    for p in probs:
        a, b = (int(x) for x in p.text.rstrip("=").split("+"))
        assert (a, b) == (p.a, p.b) and int(p.answer[::-1]) == a + b
        sys_value, noisy_value = int(p.systematic[::-1]), int(p.noisy[::-1])
        # independent route: the systematic teacher is wrong exactly when both units digits are 5..9
        assert (sys_value != a + b) == (int(p.text[2]) >= 5 and int(p.text[6]) >= 5)
        assert sys_value in (a + b, a + b - 10) and noisy_value in (a + b, a + b - 10, a + b + 10)
        assert 0 <= noisy_value <= 1998


def test_the_two_wrong_teachers_have_the_same_error_rate() -> None:
    probs = [p for i in range(8) for p in generator.unit(i, 0, DEFAULTS)]
    sys_rate = sum(p.systematic != p.answer for p in probs) / len(probs)
    noisy_rate = sum(p.noisy != p.answer for p in probs) / len(probs)
    assert abs(sys_rate - generator.ERROR_RATE) < 0.02 and abs(noisy_rate - generator.ERROR_RATE) < 0.02
    # the noisy teacher's errors do not follow the systematic rule
    both_wrong = sum(p.noisy != p.answer and p.systematic != p.answer for p in probs) / len(probs)
    assert abs(both_wrong - generator.ERROR_RATE ** 2) < 0.02


def test_teachers_label_the_same_problem_the_same_way_every_time() -> None:
    for a, b in ((123, 456), (995, 5), (0, 7), (999, 999)):
        first = [generator.teacher_value(t, 3, 1, a, b, 3) for t in generator.TEACHERS]
        assert first == [generator.teacher_value(t, 3, 1, a, b, 3) for t in generator.TEACHERS]
        assert first[0] == a + b


def test_units_are_pure_and_training_sets_nested_and_held_out() -> None:
    assert generator.unit(2, 5, DEFAULTS) == [generator.unit(i, 5, DEFAULTS) for i in range(3)][2]
    probs = generator.unit(0, 5, DEFAULTS)
    train = generator.training_problems(0, 5, DEFAULTS, probs)
    assert len(train) == max(DEFAULTS["sizes"]) and len({(s.a, s.b) for s in train}) == len(train)
    assert not {p.text for p in probs} & {s.prompt for s in train}
    assert train[:500] == generator.training_problems(0, 5, {**DEFAULTS, "sizes": [500, 1000]}, probs)[:500]
