"""Three arms on the same pair (f, g), HumanEval-style stubs, greedy decoding.

- `base`: f alone (the single-function problem, as in HumanEval);
- `self_invoking`: f and g together, g must call f (as in HumanEval Pro: the
  model writes f and then builds on the f it just wrote);
- `supplied`: g alone, with the reference f shown complete and correct (the
  control: how hard g is when f is not the model's own). The grader loads the
  reference f after the reply, so g always runs on a correct f.

Budgets: a function is 5-15 lines (about 150 tokens with its docstring for
the 0.5B model in the pilot); the self-invoking reply holds two, so it gets
twice the room. The supplied arm gets as much: in the pilot the 0.5B model
repeated the supplied f, docstring and all, before writing g (414 of 512
tokens in one of ten replies), and a control arm cut off by its budget would
fake nothing but would weaken the comparison. A cut-off self-invoking reply
would fake the effect (it is the longest), so its truncation rate is a premise
of the verdict.
"""

from __future__ import annotations

from codegap.experiments.base import Request
from codegap.experiments.function_problems.problem import finished, stub, stub_of
from codegap.experiments.self_invoking_code.generator import Instance

ARMS = ("base", "self_invoking", "supplied")
MAX_TOKENS = {"base": 512, "self_invoking": 1024, "supplied": 1024}
_RULES = "Use only the standard library."


def g_stub(inst: Instance) -> str:
    c = inst.composite
    return stub(c.signature, c.doc, c.name, [inst.g_example])


def prompt(inst: Instance, arm: str) -> str:
    f, g = inst.f_name, inst.g_name
    if arm == "base":
        return (f"Complete the Python function below. {_RULES}\n\n```python\n{stub_of(inst.problem)}```\n\n"
                "Reply with the complete function in one ```python code block.")
    if arm == "self_invoking":
        return (f"Complete the two Python functions below. `{g}` must call `{f}`. {_RULES}\n\n"
                f"```python\n{stub_of(inst.problem)}\n\n{g_stub(inst)}```\n\n"
                f"Reply with both complete functions, `{f}` and `{g}`, in one ```python code block.")
    if arm == "supplied":
        return (f"The function `{f}` below is complete and correct. Complete `{g}`, which must call `{f}`. "
                f"{_RULES}\n\n```python\n{finished(inst.problem)}\n\n{g_stub(inst)}```\n\n"
                f"Reply with the complete function `{g}` in one ```python code block "
                f"(`{f}` is already defined; you do not need to repeat it).")
    raise ValueError(f"self-invoking-code: unknown arm {arm!r}; expected one of {ARMS}")


def requests(inst: Instance) -> list[Request]:
    return [Request(arm=a, prompt=prompt(inst, a), max_tokens=MAX_TOKENS[a], temperature=0.0) for a in ARMS]
