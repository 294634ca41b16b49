"""Iterative-execution task: generator, parser, scorer, and an end-to-end run on scripted models."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.claims import claim_by_id
from codegap.tasks import iterative as it
from codegap.tasks.common import extract_code, parse_int_answer, samples_frame, scripted_model
from codegap.verdicts import decide

seeds = st.integers(min_value=0, max_value=10_000)
depths = st.integers(min_value=1, max_value=12)
kinds = st.sampled_from([("program",), ("recurrence",), ("program", "recurrence")])


@settings(max_examples=60, deadline=None)
@given(seed=seeds, depth=depths, kinds=kinds)
def test_instances_are_valid_and_answers_verified(seed, depth, kinds):
    insts = it.generate(seed, depth, 4, kinds)
    assert len(insts) == 4 and len({i.id for i in insts}) == 4
    for inst in insts:
        assert inst.depth == depth and inst.kind in kinds
        assert len(inst.trace) == depth + 1 and inst.trace[-1] == inst.answer
        assert all(abs(v) <= it.MAX_ABS for v in inst.trace)
        # Independent check: run the text shown to the model.
        assert it.evaluate_procedure(inst) == inst.answer
        # One line per step (plus the start) for programs, so depth is what is shown.
        if inst.kind == "program":
            assert len(inst.text.splitlines()) == depth + 1


@settings(max_examples=30, deadline=None)
@given(seed=seeds, depth=depths)
def test_same_seed_same_instances(seed, depth):
    assert it.generate(seed, depth, 3, ("program", "recurrence")) == it.generate(seed, depth, 3, ("program", "recurrence"))


def test_different_seeds_give_different_instances():
    texts = {i.text for s in range(20) for i in it.generate(s, 4, 1)}
    assert len(texts) == 20


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="depth"):
        it.generate(0, 0, 1)
    with pytest.raises(ValueError, match="kinds"):
        it.generate(0, 2, 1, ("newton",))
    with pytest.raises(ValueError, match="arm"):
        it.prompt(it.generate(0, 1, 1)[0], "oracle")


@pytest.mark.parametrize(
    "reply, value",
    [
        ("Answer: 42", 42),
        ("**Answer:** -7.", -7),
        ("b = 3\nc = 9\nAnswer: 1,234", 1234),
        ("The answer is 15", 15),
        ("Answer: d = 12", 12),
        ("So $\\boxed{-3}$", -3),
        ("  17 ", 17),
        ("Answer: 3\nwait, Answer: 5", 5),
        ("Let's go.\n2. b = 21 + 42 = 63\n\nTherefore, the value of `b` is 63.", 63),
        ("**-12**", -12),
        ("b = 21 + 42 = 63", 63),
    ],
)
def test_parse_int_answer_accepts(reply, value):
    assert parse_int_answer(reply) == value


@pytest.mark.parametrize("reply", ["", "Answer:", "Answer: forty-two", "Answer: 3 or 4", "I think 3 and then 4",
                                   "Answer: 4.5", "no idea",
                                   "So, `c` becomes 87 + 7, then 94.", "The value is 4.5."])
def test_parse_int_answer_rejects_malformed(reply):
    assert parse_int_answer(reply) is None


@given(st.integers(min_value=-10**6, max_value=10**6), st.text(alphabet="abc xyz\n", max_size=30))
def test_parse_int_answer_roundtrip(v, prefix):
    assert parse_int_answer(f"{prefix}\nAnswer: {v}") == v


def test_extract_code_variants():
    assert extract_code("Here:\n```python\nprint(1)\n```\nDone") == "print(1)\n"
    assert extract_code("```\nx = 2\nprint(x)\n```") == "x = 2\nprint(x)\n"
    assert extract_code("```python\nprint(3)") == "print(3)"  # unclosed fence at the token limit
    assert extract_code("print(4)") == "print(4)"
    assert extract_code("I would compute it step by step.") is None


def test_grade_text_and_code():
    assert it.grade_text("Answer: 5", 5).correct
    wrong = it.grade_text("Answer: 6", 5)
    assert not wrong.correct and not wrong.unparseable and wrong.value == 6
    bad = it.grade_text("five", 5)
    assert not bad.correct and bad.unparseable
    assert it.grade_code("```python\nx = 2\nprint(x + 3)\n```", 5).correct
    assert not it.grade_code("```python\nprint(4)\n```", 5).correct
    assert it.grade_code("no code here, sorry.", 5).unparseable


def test_grade_code_survives_a_hostile_program():
    looping = it.grade_code("```python\nwhile True:\n    pass\n```", 5, timeout_s=1.0)
    assert not looping.correct and not looping.unparseable and "failed" in looping.detail
    crash = it.grade_code("```python\nraise SystemExit(3)\n```", 5)
    assert not crash.correct and not crash.unparseable


def _oracle(messages):
    """Answers every arm correctly by running the procedure shown in the prompt."""
    prompt_text = messages[-1].text
    inst = _BY_PROMPT[prompt_text]
    if "python code block" in prompt_text:
        body = inst.text + "\n" if inst.kind == "program" else ""
        return f"```python\n{body}print({inst.answer})\n```"
    return f"Let me see.\nAnswer: {inst.answer}"


_BY_PROMPT: dict[str, it.Instance] = {}


def _run(model, n=4, depths=(1, 4)):
    from inspect_ai import eval as inspect_eval

    for d in depths:
        for inst in it.generate(0, d, n):
            for arm in it.ARMS:
                _BY_PROMPT[it.prompt(inst, arm)] = inst
    log = inspect_eval(it.task(seed=0, n=n, depths=depths), model=model, display="none", log_dir=None)[0]
    return samples_frame([log])


def test_task_end_to_end_oracle_solves_everything_and_claim_does_not_hold(tmp_path):
    df = _run(scripted_model(_oracle))
    assert len(df) == 4 * 2 * 3
    assert df["correct"].all() and not df["unparseable"].any()
    ms = it.metrics(df)
    names = {m.name for m in ms}
    assert {"in_head_drop", "direct_drop", "cot_drop", "code_drop", "code_minus_direct_deepest"} <= names
    rule = claim_by_id("iterative-execution").experiment.verdict
    # A model that executes everything perfectly shows no drop: the claim must never hold for it.
    d = decide(rule.model_copy(update={"min_n": 1}), ms)
    assert d.verdict != "holds" and d.reasons[0].state != "met"  # n is too small for a decisive interval (score intervals stay wide); test_verdicts covers large n


def test_task_end_to_end_pattern_matcher_holds():
    """Right in the head only for one step, always right with code: the claim's predicted pattern."""

    def answer(messages):
        inst = _BY_PROMPT[messages[-1].text]
        if "python code block" in messages[-1].text or inst.depth == 1:
            return _oracle(messages)
        return "Answer: 12"

    df = _run(scripted_model(answer), n=20)
    ms = {m.name: m for m in it.metrics(df)}
    assert ms["in_head_drop"].value == 1 and ms["code_drop"].value == 0
    rule = claim_by_id("iterative-execution").experiment.verdict
    assert decide(rule.model_copy(update={"min_n": 1}), ms.values()).verdict == "holds"


def test_task_end_to_end_garbage_is_unparseable_and_wrong():
    df = _run(scripted_model(lambda messages: "I am not sure."), n=2, depths=(1, 2))
    assert not df["correct"].any()
    assert df["unparseable"].all()


REPO = Path(__file__).resolve().parents[1]


def run_notebook_on_stub(name: str, answer, params: dict, tmp_path: Path, monkeypatch) -> dict:
    """Execute a notebook with papermill against the local OpenAI-compatible stub; return its outcome."""
    import papermill as pm

    from codegap.outcome import read_outcome
    from tests.support.openai_server import OpenAIStub

    with OpenAIStub(answer=lambda messages: answer(messages[-1]["content"])) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "x")
        monkeypatch.setenv("PYTHONPATH", str(REPO))
        outcome = tmp_path / "outcome.json"
        pm.execute_notebook(
            str(REPO / "notebooks" / f"{name}.ipynb"), str(tmp_path / "out.ipynb"),
            parameters={"model": "openai-api/test/stub", "outcome_path": str(outcome),
                        "log_dir": str(tmp_path / "logs"), **params},
            cwd=str(tmp_path), kernel_name="python3", progress_bar=False, log_output=False,
        )
    return read_outcome(outcome)


def test_notebook_runs_on_an_openai_compatible_server(tmp_path, monkeypatch):
    params = {"n": 10, "depths": [1, 3], "seed": 3}
    answers = {}
    for d in params["depths"]:
        for inst in it.generate(params["seed"], d, params["n"]):
            answers[it.prompt(inst, "direct")] = f"Answer: {inst.answer}"
            answers[it.prompt(inst, "cot")] = f"Answer: {inst.answer}"
            answers[it.prompt(inst, "code")] = f"```python\nprint({inst.answer})\n```"
    out = run_notebook_on_stub("iterative_execution", answers.__getitem__, params, tmp_path, monkeypatch)
    assert out["claim"] == "iterative-execution"
    by_name = {m.name: m for m in out["metrics"]}
    assert by_name["in_head_drop"].value == 0 and by_name["code_drop"].value == 0
    assert out["verdict"] != "holds"  # a model that executes perfectly shows no drop
    assert (tmp_path / "out.ipynb").exists()
