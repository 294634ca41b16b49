"""The one request per problem: complete a HumanEval-style stub (signature, specification, one example).

The model sees the example only; the base suite adds hidden typical tests, the
augmented suite everything else. Greedy decoding, as the published HumanEval
and HumanEval+ pass@1 figures use.

Budget: a solution is 5-15 lines (60-200 tokens for the models tried);
512 tokens leave room for a short explanation around the code block, and the
truncation rate is reported by every run.
"""

from __future__ import annotations

from codegap.experiments.base import Request
from codegap.experiments.function_problems.problem import stub_of
from codegap.experiments.test_insufficiency.generator import Instance

ARMS = ("solve",)
MAX_TOKENS = 512


def prompt(inst: Instance) -> str:
    return ("Complete the Python function below. Use only the standard library.\n\n"
            f"```python\n{stub_of(inst.problem)}```\n\n"
            "Reply with the complete function in one ```python code block.")


def requests(inst: Instance) -> list[Request]:
    return [Request(arm="solve", prompt=prompt(inst), max_tokens=MAX_TOKENS, temperature=0.0)]
