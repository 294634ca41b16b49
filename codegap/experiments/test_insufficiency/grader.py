"""Grading one reply on both suites: the base suite (example + hidden typical tests) and the augmented one.

Each suite runs in one sandboxed process (`function_problems.harness`), so a
program that hangs or crashes on an edge input cannot take its base result
with it. The augmented suite contains the base suite; a reply "passes the
augmented suite" only if it passes both runs, so per problem the augmented
verdict can never be better than the base one, and a reply that fails the base
suite is not run on the augmented one (it cannot pass it; this halves the
grading cost of a weak model).

`correct` is the rigorous verdict (augmented); `value` keeps both, the counts,
and the categories of the inputs that failed (empty, repeats, large, ...), so
the report can say which kind of input exposed each wrongly accepted program.
A reply with no readable function fails both suites and is unparseable.
"""

from __future__ import annotations

from codegap.experiments.base import Graded
from codegap.experiments.function_problems import extract, run_suites
from codegap.experiments.test_insufficiency.generator import Instance


def grade(inst: Instance, reply: str) -> Graded:
    program = extract(reply, (inst.func,))
    if program.kind != "ok":
        return Graded(False, True, {"base": False, "augmented": False}, program.why)
    (base,) = run_suites(program.code, [(inst.func, inst.problem.base)])
    value: dict[str, object] = {"base": base.ok, "augmented": False,
                                "base_passed": base.passed, "base_total": base.total}
    if not base.ok:  # the augmented suite contains the base suite: it cannot pass either
        return Graded(False, False, value, base.summary("base"))
    (aug,) = run_suites(program.code, [(inst.func, inst.problem.augmented)])
    value.update(augmented=aug.ok, augmented_passed=aug.passed, augmented_total=aug.total,
                 failed_categories=list(aug.failed_categories))
    return Graded(aug.ok, False, value, f"{base.summary('base')}; {aug.summary('augmented')}")
