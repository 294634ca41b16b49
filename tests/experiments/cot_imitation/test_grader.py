"""cot-imitation grader: exact answers; malformed replies are wrong and unparseable; wrong answers are classified."""

from __future__ import annotations

import pytest

from codegap.experiments.cot_imitation import generator as g
from codegap.experiments.cot_imitation.grader import COPIED, FAMILIAR, WRONG, grade, looping


def _inst(family: str, variant: str, answer: str, familiar: str, inputs=("000",)) -> g.Instance:
    return g.Instance("x", 0, family, variant, 3, "c", "q", answer, familiar, tuple(inputs))


BASE_CF = _inst("base", "counterfactual", "761", "760", ("545", "215"))
ROT_CF = _inst("rot", "counterfactual", "dragon", "vjsygf", ("iwflts",))
ROT_CHECK = _inst("rot", "check", "v", "n", ("a",))
PREC_CF = _inst("precedence", "counterfactual", "5826", "8248", ("7853", "573", "265", "243", "946"))


@pytest.mark.parametrize("inst, reply, correct, unparseable, detail", [
    (BASE_CF, "Answer: 761", True, False, ""),
    (BASE_CF, "Column by column...\n**Answer:** 761.", True, False, ""),
    (BASE_CF, "Answer: 0761", True, False, ""),
    (BASE_CF, "Answer: 761_9", True, False, ""),
    (BASE_CF, "Answer: 761₉", True, False, ""),
    (BASE_CF, "Answer: 761 (base 9)", True, False, ""),
    (BASE_CF, "The sum is 761 in base-9.", True, False, ""),
    (BASE_CF, "Answer: 760", False, False, FAMILIAR),
    (BASE_CF, "Answer: 545", False, False, COPIED),
    (BASE_CF, "Answer: 762", False, False, WRONG),
    (BASE_CF, "Answer: seven hundred", False, True, "no readable answer"),
    (BASE_CF, "", False, True, "no readable answer"),
    (BASE_CF, "Let's think step by step. First the units: 5 + 5 =", False, True, "no readable answer"),
    (BASE_CF, "It is 761 or 762", False, True, "no readable answer"),
    (ROT_CF, "Answer: Dragon", True, False, ""),
    (ROT_CF, "Shift back each letter...\nAnswer: dragon.", True, False, ""),
    (ROT_CF, "Answer: vjsygf", False, False, FAMILIAR),
    (ROT_CF, "Answer: iwflts", False, False, COPIED),
    (ROT_CF, "Answer: drag-on", False, True, "no readable answer"),
    (ROT_CHECK, "Answer: V", True, False, ""),
    (ROT_CHECK, "Answer: n", False, False, FAMILIAR),
    (ROT_CHECK, "Answer: vv", False, True, "no readable answer"),
    (PREC_CF, "Answer: 5,826", True, False, ""),
    (PREC_CF, "7853 - (573 + 265) - (243 + 946) = 5826", True, False, ""),
    (PREC_CF, "Answer: 8248", False, False, FAMILIAR),
    (PREC_CF, "Answer: \u22125826", False, False, WRONG),  # a Unicode minus is a minus
    (PREC_CF, "Answer: 7853", False, False, COPIED),
    (PREC_CF, "Answer: 5826\nI hope this is right.", True, False, ""),
])
def test_grade(inst, reply, correct, unparseable, detail):
    got = grade(inst, reply)
    assert (got.correct, got.unparseable, got.detail) == (correct, unparseable, detail)
    assert got.unparseable == (got.value is None)


def test_familiar_twin_never_reports_a_familiar_convention_answer():
    fam = _inst("base", "familiar", "760", "760", ("545", "215"))
    assert grade(fam, "Answer: 760").correct
    assert grade(fam, "Answer: 761").detail == WRONG


def test_real_instances_round_trip():
    for index in range(12):
        for inst in g.unit(index, 3, ["base", "rot", "precedence"], 9, [3, 4], [5, 8, 11, 17, 20]):
            assert grade(inst, f"Working...\nAnswer: {inst.answer}").correct
            assert not grade(inst, "I am not sure.").correct


@pytest.mark.parametrize("inst, reply, value", [
    (ROT_CF, 'The original English word is "dragon".', "dragon"),
    (ROT_CF, "The original English word is **Dragon**.", "dragon"),
    (ROT_CF, "Decoding gives \u201cdragon\u201d", "dragon"),
    (ROT_CHECK, 'The letter was "v".', "v"),
    (ROT_CF, 'The word "iwflts" decodes to "dragon".', None),  # two quoted words: which one is meant?
    (ROT_CF, 'The word "iwflts" was encoded...\nShifting back gives dragon', None),
])
def test_rot_answer_on_the_last_line_as_the_one_quoted_word(inst, reply, value):
    assert grade(inst, reply).value == value


def test_a_repeating_loop_is_told_from_long_reasoning():
    loop = "Decoding:\n" + "- 'a' -> 'b' (13 places forward)\n- 'y' -> 'z' (13 places forward)\n" * 40
    prose = "\n".join(f"Step {i}: column {i % 4} holds {3 * i % 9} plus {7 * i % 9}, "
                      f"which gives {(10 * i) % 9} and a carry of {i % 2}; the running total is {i * 37 + 11}."
                      for i in range(40))
    assert looping(loop) and not looping(prose) and not looping("short")
