"""One generated problem (specification, example, base and augmented suites) and how it is shown.

The prompt is a HumanEval-style stub: the signature and a docstring holding the
specification and one worked example (`>>> name(args)` and the result). The
same rendering serves both checks, so a problem reads the same whether it is
asked alone, as the first half of a self-invoking pair, or supplied as a
finished helper.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from typing import Any, Sequence

from codegap.experiments.function_problems import inputs
from codegap.experiments.function_problems.families import Spec, draw
from codegap.experiments.function_problems.inputs import Case

#: width the docstring text is wrapped to
_WIDTH = 88


@dataclass(frozen=True)
class Problem:
    """A drawn function problem with its verified suites (the example is `base[0]`)."""

    spec: Spec
    base: tuple[Case, ...]
    augmented: tuple[Case, ...]

    @property
    def example(self) -> Case:
        return self.base[0]


def make(family: str, rng: random.Random, *, base_tests: int, augmented_tests: int) -> Problem:
    """A problem of `family`: constants, the example, `base_tests` hidden typical tests, the augmented suite.

    The augmented suite contains the base suite, so a program that passes it
    passes the base suite too.
    """
    if base_tests < 0:
        raise ValueError(f"function problems: base_tests must be >= 0, got {base_tests}")
    if augmented_tests <= base_tests + 1:
        raise ValueError(f"function problems: augmented_tests ({augmented_tests}) must exceed base_tests + 1 "
                         f"({base_tests} + 1 for the example): the augmented suite contains the base suite")
    spec = draw(family, rng)
    base = inputs.base_inputs(spec, rng, base_tests + 1)
    lists = inputs.augmented_lists(spec, rng, base, augmented_tests)
    return Problem(spec,
                   inputs.cases(spec.reference, (("base", (xs,)) for xs in base)),
                   inputs.cases(spec.reference, ((cat, (xs,)) for cat, xs in lists)))


def show(value: Any) -> str:
    """A Python literal of a JSON-like value (tuples shown as lists, as the functions return lists)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)


def call_text(name: str, args: Sequence[Any]) -> str:
    return f"{name}({', '.join(show(a) for a in args)})"


def docstring(doc: str, name: str, examples: Sequence[Case]) -> str:
    """An indented docstring: the specification wrapped, then `>>>` examples."""
    lines = textwrap.wrap(doc, _WIDTH - 4)
    for case in examples:
        lines += ["", f">>> {call_text(name, case.args)}", show(case.expected)]
    body = "\n".join(f"    {ln}" if ln else "" for ln in lines)
    return f'    """\n{body}\n    """\n'


def stub(signature: str, doc: str, name: str, examples: Sequence[Case]) -> str:
    """A function to complete: signature and docstring, no body."""
    return f"{signature}\n{docstring(doc, name, examples)}"


def stub_of(problem: Problem) -> str:
    spec = problem.spec
    return stub(spec.signature, spec.doc, spec.name, [problem.example])


def finished(problem: Problem) -> str:
    """The reference function with its docstring (what the self-invoking check supplies)."""
    spec = problem.spec
    return stub(spec.signature, spec.doc, spec.name, [problem.example]) + spec.body
