"""Exact grading of the three arms by running their functions on whole suites in the sandbox.

- `base`: the reply must define f; correct when f passes f's suite.
- `self_invoking`: the reply must define g; correct when g, running on
  whatever f the reply defined, passes g's suite (as HumanEval Pro scores a
  self-invoking problem by g's tests). In the same sandboxed process f's own
  suite runs too, so the analysis can tell "own f wrong" from "g wrong with a
  correct own f"; whether g refers to f at all is read from its syntax tree.
- `supplied`: the reply must define g; the reference f is loaded after the
  reply (a re-definition of f in the reply is replaced), so g runs on a
  correct f; correct when g passes g's suite.

One sandbox call per (reply, suite group): a reply's suites run in one
process. A reply without the required function is wrong and unparseable.
"""

from __future__ import annotations

from codegap.experiments.base import Graded
from codegap.experiments.function_problems import extract, run_suites
from codegap.experiments.self_invoking_code.generator import Instance


def grade(inst: Instance, arm: str, reply: str) -> Graded:
    f, g = inst.f_name, inst.g_name
    needed = (f,) if arm == "base" else (g,)
    program = extract(reply, needed)
    if program.kind != "ok":
        return Graded(False, True, {"arm": arm}, program.why)
    if arm == "base":
        (res,) = run_suites(program.code, [(f, inst.problem.augmented)])
        return Graded(res.ok, False, {"f_passed": res.passed, "f_total": res.total}, res.summary(f))
    if arm == "supplied":
        (res,) = run_suites((program.code, inst.problem.spec.code()), [(g, inst.g_suite)])
        return Graded(res.ok, False, {"g_passed": res.passed, "g_total": res.total,
                                      "calls_f": program.calls(g, f)}, res.summary(g))
    if arm != "self_invoking":
        raise ValueError(f"self-invoking-code: unknown arm {arm!r}")
    own_f = f in program.defined
    suites = [(g, inst.g_suite)] + ([(f, inst.problem.augmented)] if own_f else [])
    results = run_suites(program.code, suites)
    gres = results[0]
    value = {"g_passed": gres.passed, "g_total": gres.total, "calls_f": program.calls(g, f),
             "own_f": own_f, "own_f_correct": results[1].ok if own_f else False}
    detail = gres.summary(g) + (f"; own {results[1].summary(f)}" if own_f else f"; no {f} defined")
    return Graded(gres.ok, False, value, detail)
