"""The harder problem g that must call f: composition templates over any function problem f.

HumanEval Pro (Yu et al. 2024) pairs each base problem with a self-invoking
one whose natural solution calls the base function. The templates here build g
from any generated f (`codegap.experiments.function_problems`), with fresh
constants, so the pair is new to the model:

| template        | g                                                                    | needs f returning |
|-----------------|----------------------------------------------------------------------|-------------------|
| `per_piece`     | split xs at a separator value, f on every non-empty piece            | anything          |
| `per_prefix`    | f on every prefix of at least L elements                              | anything          |
| `leave_one_out` | f on xs without the element at position i, for every i                | anything          |
| `best_index`    | position of the list in xss with the largest f (first on ties, -1)    | a number          |
| `count_at_least`| how many lists in xss have f at least t                               | a number          |
| `repeated`      | f applied r times in a row                                            | a list (not idempotent) |

Each template gives g's specification (it names f), a reference callable built
on f's reference, a reference body (source that calls f by name), buggy bodies
with one bug each in g's own logic (the tests check the g suite rejects every
one), a typical input for the docstring example and the g suite: edge inputs
(empty, one element, separators at the ends, ties) plus inputs assembled from
f's edge and random lists, so g's suite also reaches f's edge cases.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable

from codegap.experiments.function_problems import inputs
from codegap.experiments.function_problems.families import Spec

TEMPLATES = ("per_piece", "per_prefix", "leave_one_out", "best_index", "count_at_least", "repeated")
#: longest list a g input holds (g calls f many times per input)
_MAX_LEN = 14


@dataclass(frozen=True)
class Composite:
    """The harder function g over f: specification, reference, reference body, buggy bodies, inputs."""

    template: str
    name: str
    arg: str  # "xs" or "xss"
    returns: str
    doc: str
    body: str
    mutants: tuple[tuple[str, str], ...]
    reference: Callable[[Any], Any] = field(compare=False, repr=False)
    params: tuple[tuple[str, Any], ...] = ()
    #: g's example input and its suite inputs, as (category, argument)
    example_arg: Any = None
    suite_args: tuple[tuple[str, Any], ...] = ()

    @property
    def signature(self) -> str:
        kind = "list[int]" if self.arg == "xs" else "list[list[int]]"
        return f"def {self.name}({self.arg}: {kind}) -> {self.returns}:"

    def code(self, body: str | None = None) -> str:
        return f"{self.signature}\n{self.body if body is None else body}"

    def mutant(self, bug: str) -> str:
        return self.code(dict(self.mutants)[bug])


def fits(template: str, f: Spec) -> bool:
    """Whether `template` can be built on `f` (number-valued f for the xss templates, ...)."""
    if template in ("best_index", "count_at_least"):
        return f.out in ("int", "opt_int")
    if template == "repeated":
        return f.out == "list" and not f.idempotent
    return template in TEMPLATES


def _b(text: str) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), "    ") + "\n"


def _short(xs: list[int], rng: random.Random) -> list[int]:
    if len(xs) <= _MAX_LEN:
        return xs
    start = rng.randrange(len(xs) - _MAX_LEN + 1)
    return xs[start:start + _MAX_LEN]


def _pool(f: Spec, rng: random.Random, count: int, shorten: bool = True) -> list[tuple[str, list[int]]]:
    """f-level lists: f's edge seeds (shortened where g calls f once per element) then random lists."""
    out = [(cat, _short(xs, rng) if shorten else xs) for cat, xs in inputs.edge_lists(f, rng)]
    while len(out) < count:
        out.append(("random", inputs.random_list(rng)))
    return out


def _distinct(items: list[tuple[str, Any]], count: int) -> tuple[tuple[str, Any], ...]:
    seen: set[str] = set()
    out = []
    for cat, arg in items:
        key = repr(arg)
        if key not in seen:
            seen.add(key)
            out.append((cat, arg))
        if len(out) == count:
            break
    return tuple(out)


def _pick(rng: random.Random, draw: Callable[[], Any], ref: Callable[[Any], Any],
          informative: Callable[[Any], bool]) -> Any:
    """A docstring example whose answer says something (not empty, not -1, not 0 for a count)."""
    arg = draw()
    for _ in range(200):
        if informative(ref(arg)):
            return arg
        arg = draw()
    return arg


def _per_piece(f: Spec, fn: Callable, rng: random.Random, count: int) -> Composite:
    sep = rng.choice([0, -1, 5])

    def ref(xs: list[int]) -> list[Any]:
        pieces, cur = [], []
        for x in xs:
            if x == sep:
                if cur:
                    pieces.append(cur)
                cur = []
            else:
                cur.append(x)
        if cur:
            pieces.append(cur)
        return [fn(p) for p in pieces]

    body = _b(f"""
        results = []
        piece = []
        for x in xs:
            if x == {sep}:
                if piece:
                    results.append({f.name}(piece))
                piece = []
            else:
                piece.append(x)
        if piece:
            results.append({f.name}(piece))
        return results
    """)
    mutants = (
        ("keeps_empty_pieces", _b(f"""
            results = []
            piece = []
            for x in xs:
                if x == {sep}:
                    results.append({f.name}(piece))
                    piece = []
                else:
                    piece.append(x)
            if piece:
                results.append({f.name}(piece))
            return results
        """)),
        ("drops_last_piece", _b(f"""
            results = []
            piece = []
            for x in xs:
                if x == {sep}:
                    if piece:
                        results.append({f.name}(piece))
                    piece = []
                else:
                    piece.append(x)
            return results
        """)),
    )

    def clean(xs: list[int]) -> list[int]:
        return [x for x in xs if x != sep][:6]

    def joined(lists: list[list[int]], lead: bool, trail: bool, double: bool) -> list[int]:
        out: list[int] = [sep] if lead else []
        for i, piece in enumerate(lists):
            if i:
                out += [sep, sep] if double else [sep]
            out += clean(piece)
        return out + ([sep] if trail else [])

    pool = _pool(f, rng, count)
    items: list[tuple[str, Any]] = [("empty", []), ("only separators", [sep]), ("only separators", [sep, sep])]
    for cat, xs in pool[:40]:
        items.append((cat, clean(xs)))
    while len(items) < 3 * count:
        k = rng.randint(1, 4)
        lists = [rng.choice(pool)[1] for _ in range(k)]
        items.append(("pieces", joined(lists, rng.random() < 0.3, rng.random() < 0.3, rng.random() < 0.3)))
    example = _pick(rng, lambda: joined([inputs.typical(f, rng) for _ in range(rng.randint(2, 3))],
                                        False, False, False), ref, lambda out: len(out) >= 2)
    doc = (f"Split xs into pieces at every element equal to {sep}: the {sep}s themselves belong to no piece, "
           f"and empty pieces (between two {sep}s, or at either end) are left out. Return the list of the "
           f"results of {f.name} on each piece, in order.")
    return Composite("per_piece", f"{f.name}_per_piece", "xs", f"list[{f.returns}]", doc, body, mutants, ref,
                     (("separator", sep),), example, _distinct(items, count))


def _per_prefix(f: Spec, fn: Callable, rng: random.Random, count: int) -> Composite:
    least = rng.choice([1, 2])

    def ref(xs: list[int]) -> list[Any]:
        return [fn(xs[:i]) for i in range(least, len(xs) + 1)]

    body = _b(f"""
        results = []
        for i in range({least}, len(xs) + 1):
            results.append({f.name}(xs[:i]))
        return results
    """)
    mutants = (
        ("misses_the_whole_list", _b(f"""
            results = []
            for i in range({least}, len(xs)):
                results.append({f.name}(xs[:i]))
            return results
        """)),
        ("includes_a_shorter_prefix", _b(f"""
            results = []
            for i in range({least - 1}, len(xs) + 1):
                results.append({f.name}(xs[:i]))
            return results
        """)),
    )
    items = [(cat, xs) for cat, xs in _pool(f, rng, 2 * count)]
    plural = "element" if least == 1 else "elements"
    doc = (f"Return the list of the results of {f.name} on every prefix of xs that has at least {least} "
           f"{plural}, from the shortest to xs itself. If xs has fewer than {least} {plural}, return [].")
    return Composite("per_prefix", f"{f.name}_per_prefix", "xs", f"list[{f.returns}]", doc, body, mutants, ref,
                     (("at_least", least),), inputs.typical(f, rng)[:6], _distinct(items, count))


def _leave_one_out(f: Spec, fn: Callable, rng: random.Random, count: int) -> Composite:
    def ref(xs: list[int]) -> list[Any]:
        return [fn(xs[:i] + xs[i + 1:]) for i in range(len(xs))]

    body = _b(f"""
        results = []
        for i in range(len(xs)):
            results.append({f.name}(xs[:i] + xs[i + 1:]))
        return results
    """)
    mutants = (
        ("removes_every_copy", _b(f"""
            results = []
            for i in range(len(xs)):
                results.append({f.name}([y for y in xs if y != xs[i]]))
            return results
        """)),
        ("skips_the_last_position", _b(f"""
            results = []
            for i in range(len(xs) - 1):
                results.append({f.name}(xs[:i] + xs[i + 1:]))
            return results
        """)),
    )
    items = [(cat, xs) for cat, xs in _pool(f, rng, 2 * count)]
    doc = (f"For every position i of xs, from first to last, apply {f.name} to xs with the element at "
           f"position i removed (only that one element), and return the list of the results. An empty xs "
           "gives [].")
    return Composite("leave_one_out", f"{f.name}_without_each", "xs", f"list[{f.returns}]", doc, body, mutants,
                     ref, (), inputs.typical(f, rng)[:5], _distinct(items, count))


def _xss_items(f: Spec, rng: random.Random, count: int, pool: list[tuple[str, list[int]]]) -> list[tuple[str, Any]]:
    """Lists of lists for the xss templates: empty, one empty list, ties (a list repeated), mixtures."""
    items: list[tuple[str, Any]] = [("empty", []), ("one empty list", [[]])]
    for cat, xs in pool[:30]:
        items.append((cat, [xs]))
    while len(items) < 3 * count:
        k = rng.randint(2, 5)
        lists = [rng.choice(pool)[1] for _ in range(k)]
        if rng.random() < 0.3:  # a tie: the same list twice
            lists.insert(rng.randrange(k + 1), rng.choice(lists))
        items.append(("lists", lists))
    return items


def _best_index(f: Spec, fn: Callable, rng: random.Random, count: int) -> Composite:
    optional = f.out == "opt_int"

    def ref(xss: list[list[int]]) -> int:
        best_i, best = -1, None
        for i, xs in enumerate(xss):
            v = fn(xs)
            if v is not None and (best is None or v > best):
                best_i, best = i, v
        return best_i

    body = _b(f"""
        best_index = -1
        best = None
        for i, xs in enumerate(xss):
            value = {f.name}(xs)
            if value is not None and (best is None or value > best):
                best_index = i
                best = value
        return best_index
    """)
    mutants = (
        ("last_on_tie", _b(f"""
            best_index = -1
            best = None
            for i, xs in enumerate(xss):
                value = {f.name}(xs)
                if value is not None and (best is None or value >= best):
                    best_index = i
                    best = value
            return best_index
        """)),
        ("assumes_a_first_list", _b(f"""
            best_index = 0
            best = {f.name}(xss[0])
            for i in range(1, len(xss)):
                value = {f.name}(xss[i])
                if value is not None and value > best:
                    best_index = i
                    best = value
            return best_index
        """)),
    )
    pool = _pool(f, rng, 60)
    skip = f"; lists for which {f.name} returns None are skipped" if optional else ""
    none = "no list has a result (for example when xss is empty)" if optional else "xss is empty"
    doc = (f"Return the position (counting from 0) of the list in xss for which {f.name} gives the largest "
           f"result{skip}. If several lists tie, return the first of them. Return -1 if {none}.")
    example = _pick(rng, lambda: [inputs.typical(f, rng)[:6] for _ in range(3)], ref, lambda out: out > 0)
    return Composite("best_index", f"index_of_largest_{f.name}", "xss", "int", doc, body, mutants, ref, (),
                     example, _distinct(_xss_items(f, rng, count, pool), count))


def _count_at_least(f: Spec, fn: Callable, rng: random.Random, count: int) -> Composite:
    optional = f.out == "opt_int"
    pool = _pool(f, rng, 60)
    valued = [(xs, fn(list(xs))) for _, xs in pool]
    anchor, t = rng.choice([(xs, v) for xs, v in valued if v is not None])

    def ref(xss: list[list[int]]) -> int:
        return sum(1 for xs in xss if (v := fn(xs)) is not None and v >= t)

    body = _b(f"""
        count = 0
        for xs in xss:
            value = {f.name}(xs)
            if value is not None and value >= {t}:
                count += 1
        return count
    """)
    mutants = (
        ("strictly_greater", _b(f"""
            count = 0
            for xs in xss:
                value = {f.name}(xs)
                if value is not None and value > {t}:
                    count += 1
            return count
        """)),
        ("skips_the_first_list", _b(f"""
            count = 0
            for xs in xss[1:]:
                value = {f.name}(xs)
                if value is not None and value >= {t}:
                    count += 1
            return count
        """)),
    )
    never = " (a result of None never counts)" if optional else ""
    doc = f"Return how many lists in xss give a result of at least {t} when passed to {f.name}{never}."
    items = [("threshold", [anchor]), ("threshold", [anchor, anchor])] + _xss_items(f, rng, count, pool)
    example = _pick(rng, lambda: [inputs.typical(f, rng)[:6] for _ in range(4)], ref, lambda out: 0 < out < 4)
    return Composite("count_at_least", f"count_{f.name}_at_least", "xss", "int", doc, body, mutants, ref,
                     (("threshold", t),), example, _distinct(items, count))


def _repeated(f: Spec, fn: Callable, rng: random.Random, count: int) -> Composite:
    times = rng.choice([2, 3])

    def ref(xs: list[int]) -> Any:
        out = xs
        for _ in range(times):
            out = fn(out)
        return out

    body = _b(f"""
        result = xs
        for _ in range({times}):
            result = {f.name}(result)
        return result
    """)
    mutants = tuple((bug, _b(f"""
            result = xs
            for _ in range({n}):
                result = {f.name}(result)
            return result
        """)) for bug, n in (("one_time_too_few", times - 1), ("one_time_too_many", times + 1)))
    again = "then to that result, and once more to the new result" if times == 3 else "then to that result"
    doc = f"Apply {f.name} to xs, {again} ({times} times in all); return the final list."
    # long lists too: repeated group sums shrink a list fast, so only long ones tell 2 from 3 rounds
    items = [(cat, xs) for cat, xs in _pool(f, rng, 2 * count, shorten=False)]
    return Composite("repeated", f"{f.name}_repeated", "xs", "list[int]", doc, body, mutants, ref,
                     (("times", times),), inputs.typical(f, rng), _distinct(items, count))


_BUILDERS: dict[str, Callable[[Spec, Callable, random.Random, int], Composite]] = {
    "per_piece": _per_piece, "per_prefix": _per_prefix, "leave_one_out": _leave_one_out,
    "best_index": _best_index, "count_at_least": _count_at_least, "repeated": _repeated,
}


def build(template: str, f: Spec, rng: random.Random, count: int) -> Composite:
    """g of `template` over `f`, with a suite of `count` distinct inputs."""
    if template not in _BUILDERS:
        raise ValueError(f"self-invoking-code: unknown template {template!r}; known: {', '.join(TEMPLATES)}")
    if not fits(template, f):
        raise ValueError(f"self-invoking-code: template {template} does not fit {f.family} (returns {f.returns})")

    def fn(xs: list[int]) -> Any:
        return f.reference(list(xs))

    return _BUILDERS[template](f, fn, rng, count)
