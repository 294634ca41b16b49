"""Unit i of the test-insufficiency check: one fresh function problem with a base and an augmented suite.

The problems, suites and references come from the shared generator
(`codegap.experiments.function_problems`): the family of unit i is the
`families` parameter in turn (so every family is asked about equally often
whenever the run stops), and its constants, example and tests are drawn from
`make_rng(seed, "test-insufficiency", family, i)`, so unit i is the same
whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from codegap.experiments.answers import make_rng
from codegap.experiments.function_problems import FAMILIES, Problem, make


@dataclass(frozen=True)
class Instance:
    """One problem as asked: the function to write, its suites, and short labels for the samples table."""

    id: str
    unit: int
    family: str
    func: str
    variant: str  # the drawn constants, e.g. "k=3, direction=right"
    problem: Problem


def check_families(families: Sequence[str]) -> list[str]:
    if not families:
        raise ValueError("test-insufficiency: parameter families must not be empty")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ValueError(f"test-insufficiency: unknown families {unknown}; known: {', '.join(FAMILIES)}")
    return list(families)


def make_instance(seed: int, index: int, family: str, base_tests: int, augmented_tests: int) -> Instance:
    rng = make_rng(seed, "test-insufficiency", family, index)
    problem = make(family, rng, base_tests=base_tests, augmented_tests=augmented_tests)
    variant = ", ".join(f"{k}={v}" for k, v in problem.spec.params)
    return Instance(f"u{index}-{family}", index, family, problem.spec.name, variant, problem)


def unit(index: int, seed: int, params: dict[str, Any]) -> list[Instance]:
    families = check_families(params["families"])
    family = families[index % len(families)]
    return [make_instance(seed, index, family, int(params["base_tests"]), int(params["augmented_tests"]))]
