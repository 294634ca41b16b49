"""CoT-shift task: twin generator, base arithmetic, parser, scorer, metrics, end-to-end run."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.claims import claim_by_id
from codegap.tasks import cot_shift as cs
from codegap.tasks.common import samples_frame, scripted_model
from codegap.verdicts import decide

seeds = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=60, deadline=None)
@given(seed=seeds, digits=st.integers(1, 6), base=st.integers(2, 9))
def test_add_twins_are_matched_valid_and_verified(seed, digits, base):
    for fam, cf in cs.generate(seed, 3, "add", digits=digits, base=base):
        assert fam.pair == cf.pair and (fam.variant, cf.variant) == ("familiar", "counterfactual")
        a, b = fam.question.rsplit("what is ", 1)[1].rstrip("?").split("+")
        # Same operands in both twins, each a valid base-b numeral of the requested length.
        assert cf.question.endswith(f"what is {a}+{b}?")
        assert len(a) == len(b) == digits and all(int(ch) < base for ch in a + b)
        assert int(fam.answer) == int(a) + int(b)
        assert int(cf.answer, base) == int(a, base) + int(b, base)
        assert fam.answer != cf.answer  # a carry makes the twins' answers differ


@settings(max_examples=40, deadline=None)
@given(seed=seeds, shift=st.integers(1, 25).filter(lambda k: k != 13))
def test_rot_twins_decode_to_the_same_word(seed, shift):
    for fam, cf in cs.generate(seed, 3, "rot", shift=shift):
        assert fam.answer == cf.answer and fam.answer in cs.WORDS
        cipher_f = fam.question.split('"')[1]
        cipher_c = cf.question.split('"')[1]
        assert cs.rot(cipher_f, 26 - 13) == fam.answer
        assert cs.rot(cipher_c, 26 - shift) == cf.answer


@given(st.integers(0, 10**9), st.integers(2, 10))
def test_to_base_roundtrip(v, base):
    assert int(cs.to_base(v, base), base) == v


@settings(max_examples=20, deadline=None)
@given(seed=seeds)
def test_same_seed_same_twins(seed):
    assert cs.generate(seed, 4, "add") == cs.generate(seed, 4, "add")
    assert cs.generate(seed, 4, "rot") == cs.generate(seed, 4, "rot")


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="base"):
        cs.generate(0, 1, "add", base=10)
    with pytest.raises(ValueError, match="shift"):
        cs.generate(0, 1, "rot", shift=39)
    with pytest.raises(ValueError, match="family"):
        cs.generate(0, 1, "mul")


@pytest.mark.parametrize(
    "reply, answer, base, correct, unparseable",
    [
        ("Answer: 1231", "1231", 9, True, False),
        ("Step 1 ... Step 2 ...\n**Answer:** 1231.", "1231", 9, True, False),
        ("Answer: 1120", "1231", 9, False, False),  # the decimal sum: wrong, but parseable
        ("Answer: 1290", "1231", 9, False, False),  # a digit 9 in base 9: wrong
        ("Answer: twelve", "1231", 9, False, True),
        ("", "1231", 9, False, True),
        ("Answer: 0417", "417", 10, True, False),
        ("53 + 50 = 103", "103", 10, True, False),
        ("Adding the columns...\nTherefore the sum is 1231.", "1231", 9, True, False),
        ("Carry 1 to 3 + 2 = 6, giving 1231 or 1232", "1231", 9, False, True),
    ],
)
def test_grade_add(reply, answer, base, correct, unparseable):
    g = cs.grade(reply, answer, "add", base)
    assert (g.correct, g.unparseable) == (correct, unparseable)


def test_grade_rot():
    assert cs.grade("Answer: Market", "market", "rot", 10).correct
    assert not cs.grade("Answer: marker", "market", "rot", 10).correct
    assert cs.grade("Answer: mar-ket", "market", "rot", 10).unparseable


def _answer_for(prompt_text: str, familiar_right: bool, cf_right: bool, cot_helps: bool) -> str:
    """A scripted model with a chosen pattern of successes, computed from the prompt itself."""
    cot = "step by step" in prompt_text
    familiar = "base-10" in prompt_text or "(rot-13)" in prompt_text
    if "base-" in prompt_text:
        base = int(prompt_text.split("base-")[1].split(",")[0])
        a, b = prompt_text.split("what is ")[1].split("?")[0].split("+")
        right, wrong = cs.add_in_base(a, b, base), "1"
    else:
        k = int(prompt_text.split("(rot-")[1].split(")")[0])
        right, wrong = cs.rot(prompt_text.split('"')[1], 26 - k), "zzz"
    ok = familiar_right if familiar else cf_right
    if cot and cot_helps and familiar:
        ok = True
    return f"Let me think.\nAnswer: {right if ok else wrong}"


def _run(answer, family="add", n=6):
    from inspect_ai import eval as inspect_eval

    log = inspect_eval(cs.task(seed=1, n=n, family=family), model=scripted_model(lambda m: answer(m[-1].text)),
                       display="none", log_dir=None)[0]
    return samples_frame([log])


def test_oracle_gives_no_gain_and_does_not_hold():
    df = _run(lambda p: _answer_for(p, True, True, False))
    assert len(df) == 6 * 2 * 2 and df["correct"].all()
    ms = {m.name: m for m in cs.metrics(df)}
    assert ms["cot_gain_familiar"].value == 0 and ms["cot_gain_transfer_gap"].value == 0
    rule = claim_by_id("cot-imitation").experiment.verdict
    assert decide(rule.model_copy(update={"min_n": 1}), ms.values()).verdict == "does not hold"


def test_imitating_model_shows_a_deficit_and_holds():
    # Direct fails everywhere; CoT fixes only the familiar twin: the benefit does not transfer.
    df = _run(lambda p: _answer_for(p, False, False, True), family="rot", n=8)
    ms = {m.name: m for m in cs.metrics(df)}
    assert ms["cot_gain_familiar"].value == 1 and ms["cot_gain_counterfactual"].value == 0
    assert ms["cot_gain_transfer_gap"].value == 1 and ms["cot_shift_gap"].value == 1
    rule = claim_by_id("cot-imitation").experiment.verdict
    assert decide(rule.model_copy(update={"min_n": 1}), ms.values()).verdict == "holds"


def test_garbage_is_unparseable():
    df = _run(lambda p: "hmm", n=2)
    assert df["unparseable"].all() and not df["correct"].any()


def test_notebook_runs_on_an_openai_compatible_server(tmp_path, monkeypatch):
    from tests.test_task_iterative import run_notebook_on_stub

    params = {"n": 10, "seed": 2, "digits": 2}
    # Direct fails everywhere; CoT fixes only the familiar twin.
    out = run_notebook_on_stub("cot_imitation", lambda p: _answer_for(p, False, False, True), params,
                               tmp_path, monkeypatch)
    by_name = {m.name: m for m in out["metrics"]}
    assert by_name["cot_gain_familiar"].value == 1 and by_name["cot_gain_transfer_gap"].value == 1
    assert out["verdict"] == "holds"
