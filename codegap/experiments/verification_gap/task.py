"""Prompts, arms and token budgets: the same problem asked five ways.

- `intrinsic`: write the function (round 0), then `rounds` rounds of "review
  your function and fix it if needed", with no information about whether it is
  right (the setting of Huang et al. 2023).
- `feedback`: the same first prompt, then `rounds` rounds in which the answer is
  run on the feedback tests (a partial set of the hidden tests) and the model is
  told which failed, with inputs, expected and actual outputs, or that all
  passed. Every round asks for the complete function "corrected or unchanged",
  exactly as the review rounds do, so a correct answer can be edited into a
  wrong one in either arm and the two arms differ only in the test report.
- `verify_right` / `verify_wrong`: the model judges a candidate solution
  without running it (the reference, or its one-edit mutant) and ends with
  "Verdict: correct" or "Verdict: wrong". The two prompts differ only in the
  one edited line. When the reply holds no verdict line (small models often
  end with "the function is correct because ..." or run out of tokens while
  tracing an example), one more turn asks for the verdict line alone, so the
  judgment is read from the model's words and not lost to the format.
- `planted`: the engagement probe: the wrong candidate, presented as the
  model's own earlier answer, with the same review request as the intrinsic
  arm. A model that is always right never has a reason to revise its own
  answers, so this is where "does the model ever revise when asked to review"
  is measured for every model.

When an answer holds no readable function, both chain arms send the same
format reminder, so format repairs count equally in both arms and cancel in
their comparison.
"""

from __future__ import annotations

from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.verification_gap.generator import FEEDBACK_TESTS, FUNC, Instance

ARMS = ("intrinsic", "feedback", "verify_right", "verify_wrong", "planted")
CHAINS = ("intrinsic", "feedback")

#: Output-token budgets (a function is 5-12 lines; a review may restate it with a few sentences;
#: a verifier explains briefly before its verdict). Truncation is measured and reported per arm.
CODE_TOKENS = 384
VERIFY_TOKENS = 448

FORMAT = ("Reply with only one short Python code block that defines the function: no comments, "
          "no docstring, no tests, no prints.")
COMPLETE = "Reply with one Python code block containing the complete function, corrected or unchanged."
REVIEW = ("Review your function carefully against the specification and find any problems with it. "
          "If you find a problem, fix it. " + COMPLETE)
VERDICT_ASK = "Reply with exactly one line: `Verdict: correct` or `Verdict: wrong`."
JUDGE = ("Does this function do exactly what the steps say, for every list of integers (not only the "
         "example)? Check it against the steps. Explain briefly, then end with exactly one line: "
         "`Verdict: correct` or `Verdict: wrong`.")


def show(xs: tuple[int, ...]) -> str:
    return str(list(xs))


def spec(inst: Instance) -> str:
    """The specification every arm sees: the steps in words and the visible example."""
    steps = "\n".join(f"{i}. {s.describe()}" for i, s in enumerate(inst.steps, 1))
    ex_in, ex_out = inst.example
    return (f"The function `{FUNC}(xs)` takes a list of integers and returns a new list of integers, "
            f"computed by applying these steps in order:\n{steps}\n\n"
            f"Example: {FUNC}({show(ex_in)}) == {show(ex_out)}")


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def generate_prompt(inst: Instance) -> str:
    return f"Write a Python function `{FUNC}(xs)` as specified below.\n\n{spec(inst)}\n\n{FORMAT}"


def planted_prompt(inst: Instance) -> str:
    return (f"You were asked to write a Python function `{FUNC}(xs)` as specified below.\n\n{spec(inst)}\n\n"
            f"You wrote this function:\n{fenced(inst.wrong_code)}\n\n{REVIEW}")


def verify_prompt(inst: Instance, code: str) -> str:
    return (f"A Python function `{FUNC}(xs)` must do what is specified below.\n\n{spec(inst)}\n\n"
            f"Here is a candidate solution:\n{fenced(code)}\n\n{JUDGE}")


def format_reminder(why: str) -> str:
    return (f"Your reply did not contain a complete Python function named `{FUNC}` in a code block "
            f"({why}). {COMPLETE}")


def feedback_message(failures: list[str]) -> str:
    """What the test harness tells the model about its current answer (feedback tests only)."""
    if not failures:
        return (f"Your function was run on {FEEDBACK_TESTS} hidden tests and passed all of them. "
                "Review it carefully against the specification and fix any problem you find. " + COMPLETE)
    lines = "\n".join(f"- {f}" for f in failures)
    return (f"Your function was run on {FEEDBACK_TESTS} hidden tests and failed {len(failures)} of them:\n"
            f"{lines}\nFix the function. " + COMPLETE)


def requests(inst: Instance, params: dict[str, Any]) -> list[Request]:
    """One greedy request per arm; the chain arms take 1 + `rounds` turns, a verifier at most 2."""
    rounds = int(params["rounds"])
    if rounds < 1:
        raise ValueError(f"verification-gap: rounds must be >= 1, got {rounds}")
    first = generate_prompt(inst)
    return [
        Request(arm="intrinsic", prompt=first, max_tokens=CODE_TOKENS, rounds=1 + rounds),
        Request(arm="feedback", prompt=first, max_tokens=CODE_TOKENS, rounds=1 + rounds),
        Request(arm="verify_right", prompt=verify_prompt(inst, inst.right_code), max_tokens=VERIFY_TOKENS, rounds=2),
        Request(arm="verify_wrong", prompt=verify_prompt(inst, inst.wrong_code), max_tokens=VERIFY_TOKENS, rounds=2),
        Request(arm="planted", prompt=planted_prompt(inst), max_tokens=CODE_TOKENS),
    ]
