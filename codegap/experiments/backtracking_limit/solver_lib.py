"""A small constraint solver with python-constraint's API, shipped into the sandbox for the solver arm.

Why ship one: the solver arm pairs the model with a solver that can discard
partial assignments, as the claim proposes, and grades how well the model
*formalises* the requirements. The sandbox (`codegap.sandbox`) runs the
standard library only: it starts Python with `-I -S`, so no site-packages, and
its audit hook refuses `ctypes`, so z3 (a native library) cannot load there;
python-constraint is not installed either. Rather than let model code reach
outside the sandbox, this pure-Python module is sent in with the program
(`task.program`), and the model is told it is available as `constraint`.

It implements the part of python-constraint (1.4 / constraint2) that a model
is likely to use: `Problem` (addVariable, addVariables, addConstraint,
getSolution, getSolutions, getSolutionIter, reset), functions as constraints,
`FunctionConstraint`, `AllDifferentConstraint`, `AllEqualConstraint`,
`InSetConstraint`, `NotInSetConstraint`, `SomeInSetConstraint`,
`SomeNotInSetConstraint`, `ExactSumConstraint`, `MinSumConstraint`,
`MaxSumConstraint`, and the solver class names (accepted and ignored). The
search is chronological backtracking that checks each constraint as soon as
all its variables are assigned (partially for the set and all-different
constraints), taking the most-constrained variables first.

This file must import nothing outside the standard library: its source text
is what runs in the sandbox (a test runs it there).
"""

from __future__ import annotations

__all__ = [
    "Problem", "Constraint", "FunctionConstraint", "AllDifferentConstraint", "AllEqualConstraint",
    "InSetConstraint", "NotInSetConstraint", "SomeInSetConstraint", "SomeNotInSetConstraint",
    "ExactSumConstraint", "MinSumConstraint", "MaxSumConstraint", "Solver", "BacktrackingSolver",
    "RecursiveBacktrackingSolver", "MinConflictsSolver",
]


class Solver:
    """Accepted for compatibility (`Problem(BacktrackingSolver())`); the search is always the same."""

    def __init__(self, *args, **kwargs):
        pass


BacktrackingSolver = RecursiveBacktrackingSolver = MinConflictsSolver = Solver


class Constraint:
    """A constraint on the variables it is added with. `check(values)` gets the assigned ones, in order.

    `values` holds a value for each of the constraint's variables that is
    assigned so far (None for the others); `complete` says whether all are.
    """

    def check(self, values, complete):
        raise NotImplementedError


class FunctionConstraint(Constraint):
    """A function of the variables' values (positional, in the order given) that returns truth."""

    def __init__(self, func, assigned=True):
        self.func = func

    def check(self, values, complete):
        return bool(self.func(*values)) if complete else True


class AllDifferentConstraint(Constraint):
    def check(self, values, complete):
        seen = [v for v in values if v is not None]
        return len(seen) == len(set(seen))


class AllEqualConstraint(Constraint):
    def check(self, values, complete):
        seen = {v for v in values if v is not None}
        return len(seen) <= 1


class InSetConstraint(Constraint):
    def __init__(self, set):
        self.set = frozenset(set)

    def check(self, values, complete):
        return all(v in self.set for v in values if v is not None)


class NotInSetConstraint(Constraint):
    def __init__(self, set):
        self.set = frozenset(set)

    def check(self, values, complete):
        return all(v not in self.set for v in values if v is not None)


class SomeInSetConstraint(Constraint):
    """At least `n` of the variables (exactly `n` with `exact`) take a value in the set."""

    def __init__(self, set, n=1, exact=False):
        self.set, self.n, self.exact = frozenset(set), n, exact

    def check(self, values, complete):
        if not complete:
            return True
        hits = sum(v in self.set for v in values)
        return hits == self.n if self.exact else hits >= self.n


class SomeNotInSetConstraint(SomeInSetConstraint):
    def check(self, values, complete):
        if not complete:
            return True
        hits = sum(v not in self.set for v in values)
        return hits == self.n if self.exact else hits >= self.n


class _SumConstraint(Constraint):
    def __init__(self, total, multipliers=None):
        self.total, self.multipliers = total, multipliers

    def _sum(self, values):
        mult = self.multipliers or [1] * len(values)
        return sum(v * m for v, m in zip(values, mult))

    def check(self, values, complete):
        return self._ok(self._sum(values)) if complete else True


class ExactSumConstraint(_SumConstraint):
    def _ok(self, s):
        return s == self.total


class MinSumConstraint(_SumConstraint):
    def _ok(self, s):
        return s >= self.total


class MaxSumConstraint(_SumConstraint):
    def _ok(self, s):
        return s <= self.total


class Problem:
    """Variables with finite domains and constraints on them; `getSolution()` searches."""

    def __init__(self, solver=None):
        self._variables = {}
        self._constraints = []

    def reset(self):
        self._variables.clear()
        del self._constraints[:]

    def addVariable(self, variable, domain):
        if variable in self._variables:
            raise ValueError(f"Tried to insert duplicated variable {variable!r}")
        values = list(domain)
        if not values:
            raise ValueError(f"Domain of {variable!r} is empty")
        self._variables[variable] = values

    def addVariables(self, variables, domain):
        for variable in variables:
            self.addVariable(variable, domain)

    def addConstraint(self, constraint, variables=None):
        if not isinstance(constraint, Constraint):
            if callable(constraint):
                constraint = FunctionConstraint(constraint)
            else:
                raise ValueError("Constraints must be instances of subclasses of the Constraint class")
        self._constraints.append((constraint, None if variables is None else list(variables)))

    def getSolution(self):
        for solution in self.getSolutionIter():
            return solution
        return None

    def getSolutions(self):
        return list(self.getSolutionIter())

    def getSolutionIter(self):
        variables = list(self._variables)
        bound = []
        for constraint, scope in self._constraints:
            scope = variables if scope is None else scope
            for v in scope:
                if v not in self._variables:
                    raise KeyError(f"constraint on unknown variable {v!r}")
            bound.append((constraint, scope))
        # most constrained first (as python-constraint does), then in the order added
        degree = {v: sum(v in scope for _, scope in bound) for v in variables}
        order = sorted(variables, key=lambda v: -degree[v])
        watching = {v: [c for c in bound if v in c[1]] for v in variables}
        assignment = {}

        def consistent(var):
            for constraint, scope in watching[var]:
                values = [assignment.get(v) for v in scope]
                if not constraint.check(values, all(v in assignment for v in scope)):
                    return False
            return True

        def search(i):
            if i == len(order):
                yield dict(assignment)
                return
            var = order[i]
            for value in self._variables[var]:
                assignment[var] = value
                if consistent(var):
                    yield from search(i + 1)
                del assignment[var]

        for constraint, scope in bound:
            if not scope and not constraint.check([], True):
                return
        yield from search(0)
