"""verification-gap grader: exact scores, malformed answers unparseable, edits, verdicts, threads."""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor

import pytest

from codegap.experiments import verification_gap as vg
from codegap.experiments.base import Request
from codegap.experiments.verification_gap import generator as gen
from codegap.experiments.verification_gap import grader, task

PARAMS = {"steps": 2, "rounds": 2}
INST = gen.make(11, 4, 2)
REQ = {r.arm: r for r in vg.CHECK.requests(INST, PARAMS)}


def fence(code: str) -> str:
    return f"Here it is:\n```python\n{code}```\nDone."


def grade(arm: str, reply: str, rnd: int = 0, history: tuple[str, ...] = ()):
    return vg.CHECK.grade(INST, REQ[arm], reply, rnd, history)


@pytest.mark.parametrize("reply, why", [
    ("I cannot do this.", "no code block"),
    ("", "no code block"),
    ("```python\nx = 1\n```", "no function named transform"),
    ("```python\ndef solve(xs):\n    return xs\n```", "no function named transform"),
    ("```python\ndef transform(xs)\n    return xs\n```", "does not parse"),
    ("```python\ndef transform(xs):\n    return [x for x in xs", "does not parse"),  # cut off mid-block
])
def test_malformed_first_answers_are_wrong_and_unparseable(reply: str, why: str) -> None:
    for arm in ("intrinsic", "feedback"):
        g = grade(arm, reply)
        assert not g.correct and g.unparseable and why in g.detail
        nxt = vg.CHECK.follow_up(INST, REQ[arm], reply, g, 0)
        assert nxt is not None and nxt.startswith("Your reply did not contain")  # same reminder in both arms


def test_right_wrong_and_unfenced_answers() -> None:
    ok = grade("intrinsic", fence(INST.right_code))
    assert ok.correct and not ok.unparseable and ok.value["passed"] == ok.value["total"] == len(INST.all_tests)
    assert grade("intrinsic", INST.right_code).correct  # a bare program that compiles counts
    bad = grade("feedback", fence(INST.wrong_code))
    assert not bad.correct and not bad.unparseable and "first failure" in bad.detail
    # the last block defining transform is the answer: old version first, fixed version last
    both = fence(INST.wrong_code) + "\nFixed:\n" + fence(INST.right_code) + "\n```python\nprint(transform([1]))\n```"
    assert grade("intrinsic", both, 1, (fence(INST.wrong_code),)).correct


def test_hostile_and_broken_programs_fail_cleanly() -> None:
    loop = grade("feedback", fence("def transform(xs):\n    while True:\n        pass\n"))
    assert not loop.correct and "timed out" in loop.detail
    crash = grade("feedback", fence("def transform(xs):\n    return xs[100]\n"))
    assert not crash.correct and "IndexError" in crash.detail
    strings = grade("feedback", fence("def transform(xs):\n    return [str(x) for x in xs]\n"))
    assert not strings.correct and "not a list of ints" in strings.detail
    tuple_ = grade("feedback", fence(f"{INST.right_code}\n_t = transform\ndef transform(xs):\n    return tuple(_t(xs))\n"))
    assert not tuple_.correct
    escape = grade("feedback", fence("import os\nos.system('true')\ndef transform(xs):\n    return xs\n"))
    assert not escape.correct
    # a program that prints, at exit, a result line in the harness's format with every expected output
    values = [{"value": list(o)} for _, o in INST.all_tests]
    forger = (f"import atexit, json\natexit.register(lambda: print('__CODEGAP_RESULTS__' + json.dumps({values!r})))\n"
              "def transform(xs):\n    return []\n")
    assert not grade("feedback", fence(forger)).correct


def test_hardcoding_feedback_outputs_does_not_pass() -> None:
    """Copying the example and every feedback test's output into the code still fails the held-out tests."""
    table = {tuple(i): list(o) for i, o in (INST.example, *INST.feedback_tests)}
    code = f"def transform(xs):\n    return {table!r}.get(tuple(xs), [])\n"
    g = grade("feedback", fence(code))
    assert g.value["failures"] == [] and not g.correct
    assert "passed all of them" in vg.CHECK.follow_up(INST, REQ["feedback"], fence(code), g, 0)


def test_feedback_reports_failures_of_feedback_tests_only() -> None:
    g = grade("feedback", fence("def transform(xs):\n    return list(xs)\n"))
    msg = vg.CHECK.follow_up(INST, REQ["feedback"], "", g, 0)
    assert "failed" in msg and "expected" in msg
    for inp, _ in INST.heldout_tests:
        if len(inp) >= 2:
            assert task.show(inp) not in msg
    assert any(task.show(inp) in msg for inp, _ in INST.feedback_tests)


def test_review_rounds_keep_the_answer_when_the_reply_has_no_function() -> None:
    first = fence(INST.right_code)
    kept = grade("intrinsic", "The function is correct; no changes are needed.", 1, (first,))
    assert kept.correct and not kept.unparseable and kept.value["kept"] and kept.value["edited"] is False
    # a reformatted copy (comments, blank lines, docstring, a test call) is not an edit
    noisy = INST.right_code.replace("    return xs", "    # done\n\n    return xs").replace(
        "def transform(xs):\n", 'def transform(xs):\n    """Doc."""\n') + "\nprint(transform([1, 2]))\n"
    same = grade("intrinsic", fence(noisy), 1, (first,))
    assert same.correct and same.value["edited"] is False
    broken = grade("intrinsic", fence(INST.wrong_code), 1, (first,))
    assert not broken.correct and broken.value["edited"] is True  # right -> wrong by review
    # the planted probe: silence keeps the planted (wrong) function; a fix is an edit
    planted_kept = grade("planted", "Looks fine to me.")
    assert not planted_kept.correct and not planted_kept.unparseable and planted_kept.value["edited"] is False
    planted_fixed = grade("planted", fence(INST.right_code))
    assert planted_fixed.correct and planted_fixed.value["edited"] is True


def test_feedback_arm_can_move_a_correct_answer_to_wrong() -> None:
    """Issue 9: a passing answer is not frozen; every feedback round asks for the function again."""
    first = fence(INST.right_code)
    g0 = grade("feedback", first)
    nxt = vg.CHECK.follow_up(INST, REQ["feedback"], first, g0, 0)
    assert g0.correct and nxt is not None and "passed all of them" in nxt and "corrected or unchanged" in nxt
    g1 = grade("feedback", fence(INST.wrong_code), 1, (first,))
    assert not g1.correct and g1.value["edited"] is True
    # and the review arm asks the same thing, without the test report
    assert vg.CHECK.follow_up(INST, REQ["intrinsic"], first, grade("intrinsic", first), 0) == task.REVIEW
    assert task.REVIEW.endswith(task.COMPLETE) and nxt.endswith(task.COMPLETE)


@pytest.mark.parametrize("reply, said", [
    ("The steps match.\nVerdict: correct", "correct"),
    ("**Verdict:** Wrong", "wrong"),
    ("Verdict: incorrect.", "wrong"),
    ("At first I thought Verdict: wrong, but\nVerdict: `correct`", "correct"),
    ("correct", "correct"),
    ("Verdict: correct or Verdict: wrong", None),  # the instructions repeated decide nothing
    ("I think it is fine.", None),
    ("", None),
])
def test_verdicts(reply: str, said: str | None) -> None:
    assert grader.read_verdict(reply) == said
    for arm, truth in (("verify_right", "correct"), ("verify_wrong", "wrong")):
        g = grade(arm, reply)
        assert g.unparseable == (said is None)
        assert g.correct == (said == truth)


def test_follow_ups_outside_the_chains() -> None:
    assert REQ["planted"].rounds == 1
    assert vg.CHECK.follow_up(INST, REQ["planted"], "x", grade("planted", "x"), 0) is None
    for arm in ("verify_right", "verify_wrong"):
        assert REQ[arm].rounds == 2
        # a verdict given: no second turn; none given (prose, or cut off): one request for the line alone
        said = "Verdict: wrong"
        assert vg.CHECK.follow_up(INST, REQ[arm], said, grade(arm, said), 0) is None
        prose = "The function is correct because it follows the steps."
        assert vg.CHECK.follow_up(INST, REQ[arm], prose, grade(arm, prose), 0) == task.VERDICT_ASK
        assert vg.CHECK.follow_up(INST, REQ[arm], prose, grade(arm, prose, 1, (prose,)), 1) is None


def test_grading_from_worker_threads_is_safe() -> None:
    """Issue 8: ast.parse from worker threads crashed evals; answers are parsed under the AST lock."""
    deep = "def transform(xs):\n    return " + "(" * 60 + "xs" + ")" * 60 + "\n"
    replies = [fence(deep), fence(INST.right_code), "```python\ndef transform(xs)\n```"] * 60

    def work(r: str) -> str:
        gc.collect()
        return grader.find_answer(r).kind

    with ThreadPoolExecutor(max_workers=8) as pool:
        kinds = list(pool.map(work, replies))
    assert kinds == ["function", "function", "broken"] * 60


def test_request_arm_names_are_the_declared_arms() -> None:
    assert tuple(r.arm for r in vg.CHECK.requests(INST, PARAMS)) == vg.CHECK.arms
    assert isinstance(REQ["intrinsic"], Request)
