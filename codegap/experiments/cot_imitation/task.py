"""Prompts and token budgets: both twins get the same words, arms and budgets.

- `direct`: the answer only, no working ("Do not show any working");
- `cot`: zero-shot chain of thought ("Let's think step by step"), then
  "Answer: ...";
- `check`: the comprehension check, asked with the CoT prompt, so passing it
  means the model can apply the counterfactual rule once when it reasons.

The familiar and counterfactual twins of a unit get identical prompt
templates (only the stated convention differs) and identical budgets: the
counterfactual procedure has the same number of steps, so a budget that fits
the familiar chain of thought fits the counterfactual one.

Budgets (`max_tokens`) were measured on a pilot (seed 1000, 0.5B model, see
README.md "Budgets"): about twice the longest reply seen for each family and
arm that was not a repeating loop (a loop never ends, whatever the budget).
Every run reports its truncation per twin; being cut off while still making
progress on the familiar twin is a premise of the verdict.
"""

from __future__ import annotations

from codegap.experiments.base import Request
from codegap.experiments.cot_imitation.generator import Instance

ARMS = ("direct", "cot", "check")

#: Output-token budgets per family and arm (see module doc and README "Budgets"): about twice the
#: longest reply of the pilot that was not a repeating loop (CoT: base 780, rot 549, precedence 296;
#: checks: base 245, rot 428 and one cut off at 512, precedence 130; direct answers at most 16).
BUDGETS: dict[str, dict[str, int]] = {
    "base": {"direct": 32, "cot": 1536, "check": 512},
    "rot": {"direct": 32, "cot": 1152, "check": 1024},
    "precedence": {"direct": 32, "cot": 640, "check": 320},
}


def answer_form(inst: Instance) -> str:
    """What the final line holds, in the prompt's words."""
    if inst.family == "rot":
        return "letter" if inst.variant == "check" else "word"
    return "number"


def prompt(inst: Instance, arm: str) -> str:
    """The user message of one arm for one instance."""
    form = answer_form(inst)
    if arm == "direct":
        return f"{inst.question}\n\nDo not show any working. Reply with exactly one line: Answer: <{form}>"
    if arm in ("cot", "check"):
        return f"{inst.question}\n\nLet's think step by step. Then finish with exactly one line: Answer: <{form}>"
    raise ValueError(f"cot-imitation: unknown arm {arm!r}; expected one of {ARMS}")


def arms_of(inst: Instance) -> tuple[str, ...]:
    """Twins are asked directly and with CoT; the check once, with the CoT prompt."""
    return ("check",) if inst.variant == "check" else ("direct", "cot")


def requests(inst: Instance) -> list[Request]:
    """One greedy request per arm."""
    return [Request(arm=a, prompt=prompt(inst, a), max_tokens=BUDGETS[inst.family][a], temperature=0.0)
            for a in arms_of(inst)]
