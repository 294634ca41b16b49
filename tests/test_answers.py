"""Reading answers out of replies (shared by every check), and the AST lock for grading threads."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

from codegap.experiments.answers import (
    extract_code,
    make_rng,
    parse_int_answer,
    parse_number_answer,
    parse_python,
    parse_token_answer,
)


@pytest.mark.parametrize("reply, expected", [
    ("Answer: 42", 42),
    ("**Answer:** -7.", -7),
    ("Answer: \u22127", -7),  # a Unicode minus is a minus (was read as +7 or unparseable)
    ("Answer: 42\nI hope this answer is correct.", 42),  # a closing remark is not an answer
    ("the answer is 1,234", 1234),
    ("Let me think. Answer: 5\nWait, actually. Answer: 6", 6),  # the last answer wins
    ("Therefore, b is 63.", 63),
    ("\\boxed{17}", 17),
    ("Answer: x = 12", 12),
    ("Answer: 3 or 4", None),
    ("I don't know", None),
    ("it is 3 or 4", None),
])
def test_parse_int_answer(reply, expected):
    assert parse_int_answer(reply) == expected


def test_parse_number_and_token_answers():
    assert parse_number_answer("Answer: 1.2346") == pytest.approx(1.2346)
    assert parse_number_answer("Answer: \u22120.5") == pytest.approx(-0.5)
    assert parse_number_answer("no number here") is None
    assert parse_token_answer("Answer: Hello", "abcdefghijklmnopqrstuvwxyz") == "hello"
    assert parse_token_answer("0371", "0123456789") == "0371"
    assert parse_token_answer("Answer: 12a", "0123456789") is None


def test_extract_code():
    assert extract_code("```python\nprint(1)\n```") == "print(1)\n"
    assert extract_code("```python\nprint(1)\n") == "print(1)\n"  # cut off before the closing fence
    assert extract_code("print(2)") == "print(2)"
    assert extract_code("Sorry, I cannot.") is None


def test_make_rng_is_stable_across_processes():
    assert make_rng(3, "a", 1).random() == make_rng(3, "a", 1).random() != make_rng(3, "a", 2).random()
    assert make_rng(0, "x").randint(0, 10**9) == 491646513


def test_parsing_python_from_many_threads_does_not_crash():
    """Regression: CPython 3.11's AST constructor shares its recursion counter between threads; a GC
    finaliser mid-parse switched threads and raised 'AST constructor recursion depth mismatch'."""
    src = "\n".join(f"def g{i}(x):\n    return [[(a, b) for a in range(x) if a % 2] for b in {{1, 2}}]\n"
                    for i in range(60))

    class Finaliser:
        def __del__(self):
            sum(range(50))

    errors: list[str] = []

    def work():
        for _ in range(60):
            junk = [Finaliser() for _ in range(30)]
            for a, b in zip(junk, junk[1:] + junk[:1]):
                a.other = b
            del junk
            try:
                parse_python(src)
            except Exception as exc:  # the bug surfaces as SystemError
                errors.append(repr(exc))
                return

    old_interval, old_thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(5, 2, 2)
    try:
        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old_interval)
        gc.set_threshold(*old_thresholds)
    assert not errors, errors[:3]
