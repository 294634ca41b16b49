"""Unit i of the self-invoking check: a fresh function problem f and a harder problem g that calls it.

f comes from the shared generator (`codegap.experiments.function_problems`):
the family of unit i is the `families` parameter in turn, and f's suite is its
augmented suite (`f_tests` inputs: the example, typical, edge, mutated and
random inputs), so "f is correct" means correct, not "passes three tests".
g is built on f by one of the composition templates that fit f
(`composition.py`), drawn from the same seeded generator, with `g_tests`
inputs. Everything is drawn from `make_rng(seed, "self-invoking-code", family,
i)`, so unit i is the same whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from codegap.experiments.answers import make_rng
from codegap.experiments.function_problems import FAMILIES, Case, Problem, make
from codegap.experiments.function_problems.inputs import cases
from codegap.experiments.self_invoking_code.composition import TEMPLATES, Composite, build, fits


@dataclass(frozen=True)
class Instance:
    """One pair as asked: f (with its suite), g over f (with its suite and example)."""

    id: str
    unit: int
    family: str
    template: str
    f_name: str
    g_name: str
    variant: str  # the drawn constants of f and g
    problem: Problem
    composite: Composite
    g_example: Case
    g_suite: tuple[Case, ...]


def _check(params: dict[str, Any]) -> tuple[list[str], list[str]]:
    families, templates = list(params["families"]), list(params["templates"])
    if not families or not templates:
        raise ValueError("self-invoking-code: parameters families and templates must not be empty")
    bad = [f for f in families if f not in FAMILIES] + [t for t in templates if t not in TEMPLATES]
    if bad:
        raise ValueError(f"self-invoking-code: unknown families/templates {bad}; families: {', '.join(FAMILIES)}; "
                         f"templates: {', '.join(TEMPLATES)}")
    return families, templates


def make_instance(seed: int, index: int, family: str, templates: Sequence[str], f_tests: int,
                  g_tests: int) -> Instance:
    rng = make_rng(seed, "self-invoking-code", family, index)
    problem = make(family, rng, base_tests=2, augmented_tests=f_tests)
    spec = problem.spec
    usable = [t for t in templates if fits(t, spec)]
    if not usable:
        raise ValueError(f"self-invoking-code: no template among {list(templates)} fits family {family} "
                         f"(returns {spec.returns})")
    comp = build(rng.choice(usable), spec, rng, g_tests)
    (example,) = cases(comp.reference, [("example", (comp.example_arg,))])
    suite = cases(comp.reference, ((cat, (arg,)) for cat, arg in comp.suite_args))
    variant = ", ".join(f"{k}={v}" for k, v in (*spec.params, *comp.params))
    return Instance(f"u{index}-{family}-{comp.template}", index, family, comp.template, spec.name, comp.name,
                    variant, problem, comp, example, suite)


def unit(index: int, seed: int, params: dict[str, Any]) -> list[Instance]:
    families, templates = _check(params)
    family = families[index % len(families)]
    return [make_instance(seed, index, family, templates, int(params["f_tests"]), int(params["g_tests"]))]
