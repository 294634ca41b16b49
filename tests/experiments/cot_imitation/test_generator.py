"""cot-imitation generator: twins share their text, answers verified by an independent route, pure in (seed, unit)."""

from __future__ import annotations

import codecs
import re
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.experiments.cot_imitation import generator as g

FAMILIES = ["base", "rot", "precedence"]
SHIFTS = [5, 8, 11, 17, 20]


def make(index: int, seed: int = 0, *, base: int = 9, digits=(3, 4), shifts=SHIFTS, families=FAMILIES):
    return g.unit(index, seed, list(families), base, list(digits), list(shifts))


def _rot_decode(text: str, k: int) -> str:
    """Decoding by a translation table (not the generator's `rot`)."""
    lower = string.ascii_lowercase
    return text.translate(str.maketrans(lower[k:] + lower[:k], lower))


def _eval(expr: str) -> int:
    assert re.fullmatch(r"[\d +\-()]+", expr), expr
    return int(eval(expr, {"__builtins__": {}}))  # noqa: S307 - digits, + - and parentheses only


def _additions_first(expr: str) -> str:
    """'a - b + c - d' -> 'a - (b + c) - (d)': parentheses around every run joined by +."""
    head, *groups = expr.split(" - ")
    return " - ".join([f"({head})", *[f"({grp})" for grp in groups]])


seeds = st.integers(min_value=0, max_value=100_000)
indices = st.integers(min_value=0, max_value=5_000)


@settings(max_examples=80, deadline=None)
@given(seed=seeds, index=indices, base=st.integers(6, 9))
def test_every_answer_is_verified_by_an_independent_route(seed, index, base):
    fam, cf, chk = make(index, seed, base=base)
    assert (fam.variant, cf.variant, chk.variant) == ("familiar", "counterfactual", "check")
    assert fam.family == cf.family == chk.family == FAMILIES[index % 3]
    assert fam.unit == cf.unit == chk.unit == index
    if fam.family == "base":
        a, b = re.search(r"what is (\d+)\+(\d+)\?", cf.question).groups()
        assert fam.question.endswith(f"what is {a}+{b}?")  # same digit strings in both twins
        assert len(a) == len(b) == fam.size in (3, 4) and all(int(ch) < base for ch in a + b)
        assert int(fam.answer) == int(a) + int(b)
        assert cf.answer == np.base_repr(int(a, base) + int(b, base), base)
        assert fam.answer != cf.answer and cf.familiar_answer == fam.answer
        n = re.search(r"comes right after (\d+)\?", chk.question).group(1)
        assert chk.answer == np.base_repr(int(n, base) + 1, base) and chk.familiar_answer == str(int(n) + 1)
        assert f"base-{base}" in cf.question and f"base-{base}" in chk.question and "base-10" in fam.question
    elif fam.family == "rot":
        c13 = re.search(r'word "([a-z]+)"', fam.question).group(1)
        ck = re.search(r'word "([a-z]+)"', cf.question).group(1)
        k = int(re.search(r"\(rot-(\d+)\)", cf.question).group(1))
        assert k in SHIFTS and "(rot-13)" in fam.question
        assert codecs.decode(c13, "rot13") == fam.answer == cf.answer and fam.answer in g.WORDS
        assert _rot_decode(ck, k) == cf.answer and 6 <= len(cf.answer) <= 8
        assert cf.familiar_answer == codecs.decode(ck, "rot13") != cf.answer
        letter = re.search(r'into "([a-z])"', chk.question).group(1)
        assert _rot_decode(letter, k) == chk.answer and chk.familiar_answer == codecs.decode(letter, "rot13")
        assert string.ascii_lowercase.index(chk.answer) + k >= 26  # decoding wraps around, like a carry
    else:
        expr = re.search(r"Evaluate ([\d +\-]+)\.", fam.question).group(1)
        assert cf.question.startswith(f"Evaluate {expr}.")
        assert fam.answer == str(_eval(expr)) and cf.answer == str(_eval(_additions_first(expr)))
        assert fam.answer != cf.answer and int(cf.answer) > 0 and int(fam.answer) > 0
        assert expr.count("+") + expr.count(" - ") == 4  # the same four operations under both rules
        cexpr = re.search(r"Evaluate ([\d +\-]+)\.", chk.question).group(1)
        assert chk.answer == str(_eval(_additions_first(cexpr))) and chk.familiar_answer == str(_eval(cexpr))
    for inst in (cf, chk):
        assert inst.answer != inst.familiar_answer  # the familiar reading is wrong there, and detectable
    for inst in (fam, cf, chk):
        assert inst.answer not in inst.inputs  # copying the input never scores


@settings(max_examples=60, deadline=None)
@given(seed=seeds, index=indices, base=st.integers(6, 9))
def test_base_twins_carry_in_the_same_columns(seed, index, base):
    fam, cf, _ = make(3 * index, seed, base=base)
    a, b = fam.inputs
    cols = g.carry_columns(a, b, base)
    assert cols == g.carry_columns(a, b, 10) and len(cols) >= (1 if fam.size < 4 else 2)


def test_twins_differ_only_in_the_stated_convention():
    for index in range(30):
        fam, cf, _ = make(index)
        if fam.family == "base":
            assert fam.question.replace("base-10", "base-9").replace("0123456789", "012345678") == cf.question
        elif fam.family == "precedence":
            assert fam.question.split(".")[0] == cf.question.split(".")[0]
        assert fam.size == cf.size


@settings(max_examples=20, deadline=None)
@given(seed=seeds, index=indices)
def test_same_seed_same_unit_whatever_else_was_generated(seed, index):
    first = make(index, seed)
    for other in (0, index + 1, index + 7):  # generating other units first changes nothing
        make(other, seed)
    assert make(index, seed) == first
    assert [i.id for i in first] == [f"u{index}-{first[0].family}-{v}" for v in g.VARIANTS]


def test_different_seeds_give_different_instances():
    assert [make(i, 1)[0].question for i in range(9)] != [make(i, 2)[0].question for i in range(9)]


def test_families_take_turns_and_sizes_follow_the_parameter():
    fams = [make(i, families=["rot", "base"])[0].family for i in range(6)]
    assert fams == ["rot", "base"] * 3
    assert {make(i, digits=[4])[0].size for i in range(0, 30, 3)} == {4}


@pytest.mark.parametrize("kw, field", [
    ({"families": ["base", "sudoku"]}, "families"),
    ({"families": []}, "families"),
    ({"base": 10}, "base"),
    ({"base": 4}, "base"),
    ({"digits": [1]}, "digits"),
    ({"shifts": [13]}, "shifts"),
    ({"shifts": [3, 8]}, "shifts"),
    ({"shifts": []}, "shifts"),
])
def test_bad_parameters_name_the_parameter(kw, field):
    with pytest.raises(ValueError, match=f"parameter {field}"):
        make(0, **kw)
