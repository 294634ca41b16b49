"""Verification-gap task: generator, parser/grader, the multi-turn solver, and the notebook."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import inspect_ai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.tasks import verification as vg
from codegap.tasks.common import scripted_model

REPO = Path(__file__).resolve().parents[1]


def _run_reference(problem: vg.Problem, xs: list[int]) -> list[int]:
    """Execute the generated reference code in-process (it is our own code, not a model's)."""
    ns: dict[str, Any] = {}
    exec(problem.reference_code(), ns)  # noqa: S102
    return ns[vg.FUNC](list(xs))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 5))
def test_generated_problems_are_valid_and_verified(seed: int, steps: int) -> None:
    problems = vg.generate(seed, 3, steps)
    assert len({p.id for p in problems}) == 3
    for p in problems:
        assert p.difficulty == steps
        assert len(p.feedback_tests) == vg.N_FEEDBACK_TESTS and len(p.heldout_tests) == vg.N_HELDOUT_TESTS
        for inp, expected in p.all_tests:
            assert p.reference(inp) == expected
            assert _run_reference(p, inp) == expected  # the description's code agrees with `apply`
            assert all(type(v) is int for v in expected)
        assert sum(s.kind in vg.SHRINKING for s in p.steps) <= 1
        text = vg.prompt(p)
        for s in p.steps:
            assert s.describe() in text
        # the prompt shows the example, never the hidden tests' expected outputs
        for inp, out in p.heldout_tests:
            if len(inp) >= 4:
                assert str(inp) not in text


@given(seed=st.integers(0, 10_000))
def test_same_seed_same_problems(seed: int) -> None:
    assert vg.generate(seed, 4, 3) == vg.generate(seed, 4, 3)
    assert vg.generate(seed, 4, 3) != vg.generate(seed + 1, 4, 3)


def test_metadata_round_trip() -> None:
    p = vg.generate(7, 1, 4)[0]
    assert vg.Problem.from_metadata(json.loads(json.dumps(p.to_metadata()))) == p


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="steps"):
        vg.generate(0, 2, 0)
    with pytest.raises(ValueError, match="unknown step"):
        vg.Step("nonsense").apply([1])


@pytest.mark.parametrize(
    "reply, why",
    [
        ("I cannot do this.", "no code"),
        ("x = 1", "no function named transform"),
        ("", "no code"),
        ("```python\ndef transform(xs)\n    return xs\n```", "syntax error"),
        ("```python\ndef solve(xs):\n    return xs\n```", "no function named transform"),
    ],
)
def test_malformed_replies_are_unparseable(reply: str, why: str) -> None:
    p = vg.generate(1, 1, 2)[0]
    g = vg.grade(reply, p)
    assert not g.correct and g.unparseable and g.passed == 0
    assert why in g.detail
    assert "did not contain" in vg.feedback_prompt(g)


def test_grade_correct_wrong_and_hostile_code() -> None:
    p = vg.generate(2, 1, 3)[0]
    fenced = "Here you go:\n```python\n" + p.reference_code() + "```\nDone."
    ok = vg.grade(fenced, p)
    assert ok.correct and not ok.unparseable and ok.passed == ok.total == len(p.all_tests)
    assert vg.grade(p.reference_code(), p).correct  # an unfenced reply that compiles also counts

    wrong = vg.grade("```python\ndef transform(xs):\n    return list(xs)\n```", p)
    assert not wrong.correct and not wrong.unparseable
    assert "expected" in wrong.feedback
    # the feedback names a feedback test, never a held-out one
    held = [str(inp) for inp, _ in p.heldout_tests if len(inp) >= 2]
    assert not any(h in wrong.feedback for h in held)

    strings = vg.grade("```python\ndef transform(xs):\n    return [str(x) for x in xs]\n```", p)
    assert not strings.correct

    loop = vg.grade("```python\ndef transform(xs):\n    while True:\n        pass\n```", p, timeout_s=1)
    assert not loop.correct and "timed out" in loop.feedback

    crash = vg.grade("```python\ndef transform(xs):\n    return xs[100]\n```", p)
    assert not crash.correct and "IndexError" in crash.feedback

    cheat = vg.grade("```python\nimport os\nos.system('true')\ndef transform(xs):\n    return xs\n```", p)
    assert not cheat.correct and "crashed" in cheat.feedback


def test_hardcoding_feedback_outputs_does_not_pass() -> None:
    """Copying every feedback test's expected output into the code still fails the held-out tests."""
    p = vg.generate(3, 1, 3)[0]
    table = {tuple(i): o for i, o in (p.example, *p.feedback_tests)}
    code = f"def transform(xs):\n    return {table!r}.get(tuple(xs), [])\n"
    g = vg.grade(code, p)
    assert g.feedback_ok and not g.correct
    assert "every test you can see passes" in g.feedback


def _answer_factory(problems: list[vg.Problem], *, fix_on_feedback: bool, fix_on_review: bool = False,
                    oracle: bool = False):
    by_prompt = {vg.prompt(p): p for p in problems}

    def answer(messages: Any) -> str:
        p = by_prompt[messages[0].text]
        last = messages[-1].text
        right = "```python\n" + p.reference_code() + "```"
        wrong = "```python\ndef transform(xs):\n    return list(xs)\n```"
        if oracle:
            return right
        if last == messages[0].text:
            return wrong
        if last == vg.REVIEW_PROMPT:
            return right if fix_on_review else wrong
        return right if fix_on_feedback else wrong

    return answer


def _eval(problems_seed: int, n: int, rounds: int, **kw) -> Any:
    problems = vg.generate(problems_seed, n, 3)
    model = scripted_model(_answer_factory(problems, **kw))
    log = inspect_ai.eval(vg.task(seed=problems_seed, n=n, steps=3, rounds=rounds), model=model,
                          display="none", log_dir=None)[0]
    return vg.rounds_frame(log)


def test_solver_feedback_fixes_review_does_not() -> None:
    df = _eval(0, 10, 2, fix_on_feedback=True)
    assert len(df) == 10 * (1 + 2 + 2)
    m = {x.name: x for x in vg.metrics(df)}
    assert m["single_acc"].value == 0.0
    assert m["intrinsic_gain"].value == 0.0 and m["intrinsic_gain"].ci_low < 0 < m["intrinsic_gain"].ci_high
    assert m["feedback_gain"].value == 1.0 and m["feedback_gain"].ci_low > 0
    assert m["feedback_wrong_to_correct"].value == 1.0
    # the second feedback round is not asked: the first fixed it
    fb2 = df[(df["arm"] == "feedback") & (df["round"] == 2)]
    assert not fb2["model_called"].any() and fb2["correct"].all()
    flips = vg.flips_table(df)
    assert flips[(flips["arm"] == "feedback") & (flips["round"] == 1)]["wrong_to_correct"].item() == 10


def test_solver_oracle_and_reviewer_that_fixes() -> None:
    oracle = _eval(1, 10, 1, fix_on_feedback=True, oracle=True)
    m = {x.name: x for x in vg.metrics(oracle)}
    assert m["single_acc"].value == m["intrinsic_acc"].value == m["feedback_acc"].value == 1.0
    assert (m["intrinsic_gain"].value, m["feedback_gain"].value) == (0.0, 0.0)

    reviewer = _eval(2, 10, 1, fix_on_feedback=False, fix_on_review=True)
    m = {x.name: x for x in vg.metrics(reviewer)}
    assert m["intrinsic_gain"].value == 1.0 and m["feedback_gain"].value == 0.0
    table = vg.accuracy_by_round(reviewer, 1)
    assert set(table["arm"]) == {"intrinsic", "feedback"} and set(table["round"]) == {0, 1}


@pytest.mark.timeout(120)
def test_task_runs_against_openai_compatible_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real `openai-api/...` path through run_eval, with a stub server on 127.0.0.1."""
    from codegap.models.engine import run_eval
    from tests.support.openai_server import OpenAIStub

    problems = vg.generate(5, 4, 3)
    by_prompt = {vg.prompt(p): p for p in problems}

    def answer(messages: list[dict[str, Any]]) -> str:
        users = [m for m in messages if m["role"] == "user"]
        p = by_prompt[users[0]["content"]]
        if "failed" in users[-1]["content"]:
            return "```python\n" + p.reference_code() + "```"
        return "```python\ndef transform(xs):\n    return xs[::-1]\n```"

    with OpenAIStub(answer=answer) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "x")
        # a model name of its own: inspect memoizes models by name, and another test's stub is gone
        log = run_eval(vg.task(seed=5, n=4, steps=3, rounds=1), "openai-api/test/stub-verification-task", seed=0,
                       log_dir=tmp_path, cache=False)
        calls = srv.call_count
    df = vg.rounds_frame(log)
    m = {x.name: x for x in vg.metrics(df)}
    assert m["feedback_acc"].value == 1.0 and m["intrinsic_acc"].value == m["single_acc"].value
    assert calls == 4 * 3  # round 0, one review, one feedback round per instance


@pytest.mark.timeout(300)
def test_notebook_runs_with_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebook end to end (papermill) against the stub: emits an outcome with a verdict."""
    import papermill as pm

    from tests.support.openai_server import OpenAIStub

    problems = vg.generate(0, 60, 3)
    by_prompt = {vg.prompt(p): p for p in problems}

    def answer(messages: list[dict[str, Any]]) -> str:
        users = [m for m in messages if m["role"] == "user"]
        p = by_prompt.get(users[0]["content"])
        if p is None:  # a prompt this test did not generate: answer, never raise (raising makes inspect retry)
            return "unexpected prompt"
        if "failed" in users[-1]["content"]:
            return "```python\n" + p.reference_code() + "```"
        return "```python\ndef transform(xs):\n    return xs\n```"

    outcome = tmp_path / "outcome.json"
    with OpenAIStub(answer=answer) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "x")
        monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        pm.execute_notebook(str(REPO / "notebooks" / "verification_gap.ipynb"), str(tmp_path / "out.ipynb"),
                            parameters={"model": "openai-api/test/stub", "n": 60, "seed": 0, "rounds": 1, "steps": 3,
                                        "outcome_path": str(outcome), "log_dir": str(tmp_path / "logs")},
                            progress_bar=False, cwd=str(REPO), kernel_name="python3")
    data = json.loads(outcome.read_text())
    assert data["claim"] == "verification-gap"
    assert data["verdict"] == "holds"  # review changes nothing, feedback fixes all
    names = {m["name"] for m in data["metrics"]}
    assert {"intrinsic_gain", "feedback_gain"} <= names
