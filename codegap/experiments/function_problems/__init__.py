"""Small Python function problems with verified references, shared by two live checks.

`test-insufficiency` asks for one function and grades it on a thin base suite
and on an augmented suite; `self-invoking-code` asks for the same kind of
function, then for a harder one that must call it. Both need the same pieces,
kept here once:

- `families.py`: the problem catalogue (fresh constants per draw, the
  specification in words, a reference callable, a reference implementation as
  source, and buggy variants with one edge-case bug each);
- `inputs.py`: typical inputs (base suite) and the augmented suite (edge seeds,
  type-aware mutations, random lists);
- `problem.py`: one drawn problem with its suites, and its HumanEval-style stub;
- `harness.py`: reading the functions out of a reply, and running whole suites
  in one sandboxed process.

This package is not a live check itself (it has no `CHECK`).
"""

from codegap.experiments.function_problems.families import FAMILIES, Spec
from codegap.experiments.function_problems.harness import Program, SuiteResult, extract, run_suites
from codegap.experiments.function_problems.inputs import Case
from codegap.experiments.function_problems.problem import Problem, make

__all__ = ["FAMILIES", "Case", "Problem", "Program", "Spec", "SuiteResult", "extract", "make", "run_suites"]
