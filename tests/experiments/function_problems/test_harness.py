"""Reading functions out of replies, and running whole suites in one sandboxed process."""

from __future__ import annotations

import pytest

from codegap.experiments.answers import make_rng
from codegap.experiments.function_problems import extract, make, run_suites
from codegap.experiments.function_problems import harness
from codegap.experiments.function_problems.inputs import Case

SQUARE = "def square(xs):\n    return [x * x for x in xs]\n"
CASES = tuple(Case(((i, -i),), [i * i, i * i], "t") for i in range(5))


def fenced(code: str, before: str = "Sure.", after: str = "") -> str:
    return f"{before}\n\n```python\n{code}```\n{after}"


# --- extraction -----------------------------------------------------------------------------

def test_definitions_of_every_block_are_kept_and_example_runs_dropped() -> None:
    reply = (fenced("import math\n\ndef helper(x):\n    return x * x\n")
             + fenced("def square(xs):\n    return [helper(x) for x in xs]\n\nprint(square([2]))\n"
                      "assert square([1]) == [2]\nresult = square([3])\nLIMIT = 10\n"
                      "if __name__ == '__main__':\n    square(None)\n"))
    prog = extract(reply, ("square",))
    assert prog.kind == "ok" and prog.defined == ("helper", "square")
    assert "print" not in prog.code and "assert" not in prog.code and "__main__" not in prog.code
    assert "result" not in prog.code and "LIMIT = 10" in prog.code and "import math" in prog.code


def test_a_later_definition_replaces_an_earlier_one() -> None:
    reply = fenced("def square(xs):\n    return xs\n", after="Fixed:") + fenced(SQUARE)
    prog = extract(reply, ("square",))
    (res,) = run_suites(prog.code, [("square", CASES)])
    assert res.ok


@pytest.mark.parametrize("reply, kind, why", [
    ("I cannot write that.", "none", "no Python code found"),
    (fenced("def other(xs):\n    return xs\n"), "none", "no function named square"),
    ("```python\ndef square(xs):\n    return [x * x for x in", "broken", "does not parse"),
    (fenced("def square(xs)\n    return xs\n"), "broken", "does not parse"),
])
def test_malformed_replies_are_unparseable(reply: str, kind: str, why: str) -> None:
    prog = extract(reply, ("square",))
    assert prog.kind == kind and why in prog.why


def test_code_without_a_fence_is_read() -> None:
    assert extract(SQUARE, ("square",)).kind == "ok"
    assert extract("Here it is:\n" + SQUARE, ("square",)).kind == "ok"


def test_calls_is_read_from_the_syntax_tree() -> None:
    prog = extract(fenced("def f(xs):\n    return xs\n\ndef g(xss):\n    return [f(x) for x in xss]\n"
                          "\ndef h(xss):\n    return 'f(x)'\n"), ("f", "g", "h"))
    assert prog.calls("g", "f") and not prog.calls("h", "f") and not prog.calls("missing", "f")


# --- execution in the sandbox --------------------------------------------------------------

def test_one_process_runs_every_case_and_reports_failures_with_their_category() -> None:
    code = "def square(xs):\n    return [x * x for x in xs] if xs[0] != 3 else []\n"
    (res,) = run_suites(code, [("square", CASES)])
    assert (res.passed, res.total, res.ok) == (4, 5, False)
    assert res.failed_categories == ("t",)
    assert res.first_failures[0] == "[t] square([3, -3]) returned [], expected [9, 9]"


def test_one_hanging_case_fails_alone_and_a_crash_fails_one_case() -> None:
    code = ("def square(xs):\n    if xs[0] == 1:\n        while True:\n            pass\n"
            "    if xs[0] == 2:\n        raise ValueError('two')\n    return [x * x for x in xs]\n")
    (res,) = run_suites(code, [("square", CASES)])
    assert res.passed == 3 and not res.error
    assert any("took longer" in m for m in res.first_failures)
    assert any("raised ValueError: two" in m for m in res.first_failures)


@pytest.mark.parametrize("code, expected_error", [
    ("raise SystemExit(3)\n", "loading the code failed: SystemExit"),
    ("import numpy\n" + SQUARE, "loading the code failed: ModuleNotFoundError"),
    ("x = [0] * (10 ** 10)\n" + SQUARE, "loading the code failed: MemoryError"),
])
def test_a_program_that_cannot_load_fails_every_case(code: str, expected_error: str) -> None:
    (res,) = run_suites(code, [("square", CASES)])
    assert res.passed == 0 and res.error.startswith(expected_error)


def test_outputs_are_compared_outside_the_sandbox() -> None:
    """A value that claims equality with everything, or a set, or printed noise cannot pass."""
    liar = ("class Any:\n    def __eq__(self, other):\n        return True\n"
            "def square(xs):\n    print('x' * 100000)\n    return Any()\n")
    (res,) = run_suites(liar, [("square", CASES)])
    assert res.passed == 0 and "returned a value of type Any" in res.first_failures[0]
    (res,) = run_suites("def square(xs):\n    return {x * x for x in xs}\n", [("square", CASES)])
    assert res.passed == 0
    (res,) = run_suites("import sys\ndef square(xs):\n    sys.exit(0)\n", [("square", CASES)])
    assert res.passed == 0 and "SystemExit" in res.first_failures[0]


def test_arguments_are_fresh_for_every_call() -> None:
    code = "def square(xs):\n    xs.append(0)\n    return [x * x for x in xs[:-1]]\n"
    (res,) = run_suites(code, [("square", CASES + CASES)])
    assert res.ok


def test_several_sources_and_suites_share_one_process() -> None:
    """The supplied helper is loaded after the reply, so the reply cannot override it."""
    reply = "def helper(xs):\n    return []\n\ndef square(xs):\n    return helper(xs)\n"
    helper = "def helper(xs):\n    return [x * x for x in xs]\n"
    res = run_suites((reply, helper), [("square", CASES), ("helper", CASES)])
    assert [r.ok for r in res] == [True, True]
    harness._execute.cache_clear()
    calls = harness._execute.cache_info().misses
    run_suites((reply, helper), [("square", CASES), ("helper", CASES)])
    run_suites((reply, helper), [("square", CASES), ("helper", CASES)])
    assert harness._execute.cache_info().misses == calls + 1, "one sandbox run, then memoised"


def test_the_reference_of_a_generated_problem_passes_its_suites_in_the_sandbox() -> None:
    p = make("floor_mean", make_rng(1, "x"), base_tests=2, augmented_tests=200)
    base, aug = run_suites(p.spec.code(), [(p.spec.name, p.base), (p.spec.name, p.augmented)])
    assert base.ok and aug.ok and aug.total == 200
    bug = run_suites(p.spec.mutant("float_division"), [(p.spec.name, p.augmented)])[0]
    assert not bug.ok and "large" in bug.failed_categories
