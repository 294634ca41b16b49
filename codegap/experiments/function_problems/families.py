"""The catalogue of function problems: small list functions whose edge cases are where bugs hide.

Why these problems: the claims built on them (test insufficiency, self-invoking
code) need functions that are easy to get right on typical inputs and easy to
get subtly wrong on empty lists, repeats, negative numbers, short lists or very
large values, as real code is. Each family draws fresh constants from a seed
(which rotation, which k, which target sum), so a model cannot have seen the
exact problem; every edge behaviour is stated in the specification, so a
failure on an edge input is a bug, not a guess about an unstated convention.

Every family gives, for one draw of its constants:

- `doc`: the specification in words (the docstring the model sees);
- `reference`: a plain-Python callable that computes the expected outputs;
- `body`: a reference implementation as source text, written by a different
  route from `reference` where the problem allows (brute force against a single
  pass, a dictionary against pairs of positions); the tests execute it and
  check that both agree on every suite input and on hypothesis-generated ones;
- `mutants`: bodies with one plausible edge-case bug each (a maximum that
  starts at 0, a last block never flushed, a float division). The tests check
  that the augmented suite rejects every one of them; most pass typical inputs,
  which is what a thin test suite lets through.

All functions take one argument `xs: list[int]` (so the composition templates
of the self-invoking check can apply any of them to a sublist) and never
mutate it.
"""

from __future__ import annotations

import itertools
import random
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

OutKind = Literal["int", "opt_int", "list", "pairs"]


def _always(xs: list[int], out: Any) -> bool:
    return True


@dataclass(frozen=True)
class Spec:
    """One drawn problem: its specification, reference, reference source and buggy variants."""

    family: str
    name: str
    returns: str
    out: OutKind
    doc: str
    body: str
    mutants: tuple[tuple[str, str], ...]
    reference: Callable[[list[int]], Any] = field(compare=False, repr=False)
    params: tuple[tuple[str, Any], ...] = ()
    #: value range of typical inputs (what a benchmark author writes by hand)
    values: tuple[int, int] = (0, 20)
    #: problem-aware edge inputs (e.g. the half of a target sum), added to the augmented suite
    special: tuple[tuple[int, ...], ...] = ()
    #: whether an input/output pair makes an informative example (a non-trivial answer)
    interesting: Callable[[list[int], Any], bool] = field(default=_always, compare=False, repr=False)
    #: f(f(xs)) == f(xs) for every xs (composition templates that repeat f skip such families)
    idempotent: bool = False

    @property
    def signature(self) -> str:
        return f"def {self.name}(xs: list[int]) -> {self.returns}:"

    def code(self, body: str | None = None) -> str:
        """The complete function: signature and `body` (default: the reference body)."""
        return f"{self.signature}\n{self.body if body is None else body}"

    def mutant(self, bug: str) -> str:
        return self.code(dict(self.mutants)[bug])


def _b(text: str) -> str:
    """A function body from a dedented snippet, indented by four spaces."""
    return textwrap.indent(textwrap.dedent(text).strip("\n"), "    ") + "\n"


def _records(rng: random.Random) -> Spec:
    greater = rng.random() < 0.5
    word, op = ("greater", ">") if greater else ("smaller", "<")

    def ref(xs: list[int]) -> int:
        return sum(1 for i, x in enumerate(xs) if all((x > y) if greater else (x < y) for y in xs[:i]))

    body = _b(f"""
        count = 0
        best = None
        for x in xs:
            if best is None or x {op} best:
                count += 1
                best = x
        return count
    """)
    mutants = (
        ("starts_at_zero", _b(f"""
            count = 0
            best = 0
            for x in xs:
                if x {op} best:
                    count += 1
                    best = x
            return count
        """)),
        ("counts_ties", _b(f"""
            count = 0
            best = None
            for x in xs:
                if best is None or x {op}= best:
                    count += 1
                    best = x
            return count
        """)),
        ("assumes_nonempty", _b(f"""
            best = xs[0]
            count = 1
            for x in xs[1:]:
                if x {op} best:
                    count += 1
                    best = x
            return count
        """)),
    )
    doc = (f"Return how many elements of xs are strictly {word} than every element before them. "
           "The first element always counts; an empty list gives 0.")
    return Spec("records", "count_records", "int", "int", doc, body, mutants, ref, (("direction", word),),
                interesting=lambda xs, out: out >= 2)


_ORDINAL = {2: "second", 3: "third"}


def _kth_largest(rng: random.Random) -> Spec:
    k = rng.choice([2, 3])

    def ref(xs: list[int]) -> int | None:
        vals = sorted(set(xs), reverse=True)
        return vals[k - 1] if len(vals) >= k else None

    body = _b(f"""
        distinct = []
        for x in xs:
            if x not in distinct:
                distinct.append(x)
        if len(distinct) < {k}:
            return None
        distinct.sort()
        return distinct[-{k}]
    """)
    mutants = (
        ("counts_repeats", _b(f"""
            ordered = sorted(xs)
            if len(ordered) < {k}:
                return None
            return ordered[-{k}]
        """)),
        ("no_none", _b(f"""
            return sorted(set(xs))[-{k}]
        """)),
    )
    doc = (f"Return the {_ORDINAL[k]} largest distinct value in xs (a value that occurs several times "
           f"counts once), or None if xs has fewer than {k} distinct values.")
    return Spec("kth_largest", f"{_ORDINAL[k]}_largest", "int | None", "opt_int", doc, body, mutants, ref,
                (("k", k),), interesting=lambda xs, out: out is not None and len(set(xs)) < len(xs))


_RUN_KINDS = {
    "increasing": ("strictly greater than", ">"),
    "decreasing": ("strictly smaller than", "<"),
    "non_decreasing": ("greater than or equal to", ">="),
}


def _longest_run(rng: random.Random) -> Spec:
    kind = rng.choice(sorted(_RUN_KINDS))
    words, op = _RUN_KINDS[kind]
    rel: Callable[[int, int], bool] = {">": lambda a, b: a > b, "<": lambda a, b: a < b,
                                       ">=": lambda a, b: a >= b}[op]

    def ref(xs: list[int]) -> int:
        best = 0
        for i in range(len(xs)):
            j = i
            while j + 1 < len(xs) and rel(xs[j + 1], xs[j]):
                j += 1
            best = max(best, j - i + 1)
        return best

    body = _b(f"""
        if not xs:
            return 0
        best = current = 1
        for i in range(1, len(xs)):
            if xs[i] {op} xs[i - 1]:
                current += 1
            else:
                current = 1
            best = max(best, current)
        return best
    """)
    mutants = (
        ("misses_last_run", _b(f"""
            if not xs:
                return 0
            best = current = 1
            for i in range(1, len(xs)):
                if xs[i] {op} xs[i - 1]:
                    current += 1
                else:
                    best = max(best, current)
                    current = 1
            return best
        """)),
        ("empty_is_one", _b(f"""
            best = current = 1
            for i in range(1, len(xs)):
                if xs[i] {op} xs[i - 1]:
                    current += 1
                else:
                    current = 1
                best = max(best, current)
            return best
        """)),
    )
    doc = (f"Return the length of the longest stretch of consecutive elements of xs in which every "
           f"element is {words} the one before it. A single element is a stretch of length 1; an empty "
           "list gives 0.")
    return Spec("longest_run", "longest_run", "int", "int", doc, body, mutants, ref, (("kind", kind),),
                interesting=lambda xs, out: out >= 2)


def _rotate(rng: random.Random) -> Spec:
    k = rng.randint(3, 5)  # k = 1 or 2 would make the "forgets to wrap" bug unobservable
    right = rng.random() < 0.5

    def ref(xs: list[int]) -> list[int]:
        n = len(xs)
        return [xs[(i - k) % n] if right else xs[(i + k) % n] for i in range(n)]

    if right:
        body = _b(f"""
            if not xs:
                return []
            k = {k} % len(xs)
            return xs[len(xs) - k:] + xs[:len(xs) - k]
        """)
        no_wrap = _b(f"""
            return xs[-{k}:] + xs[:-{k}]
        """)
        crash = _b(f"""
            k = {k} % len(xs)
            return xs[len(xs) - k:] + xs[:len(xs) - k]
        """)
        doc = (f"Return a new list with the elements of xs rotated {k} places to the right: every element "
               f"moves {k} positions later, and elements pushed past the end continue from the front "
               "(wrapping around as often as needed when the list is short). An empty list gives [].")
    else:
        body = _b(f"""
            if not xs:
                return []
            k = {k} % len(xs)
            return xs[k:] + xs[:k]
        """)
        no_wrap = _b(f"""
            return xs[{k}:] + xs[:{k}]
        """)
        crash = _b(f"""
            k = {k} % len(xs)
            return xs[k:] + xs[:k]
        """)
        doc = (f"Return a new list with the elements of xs rotated {k} places to the left: every element "
               f"moves {k} positions earlier, and elements pushed past the start continue from the end "
               "(wrapping around as often as needed when the list is short). An empty list gives [].")
    return Spec("rotate", "rotate", "list[int]", "list", doc, body,
                (("forgets_to_wrap", no_wrap), ("crashes_on_empty", crash)), ref,
                (("k", k), ("direction", "right" if right else "left")),
                interesting=lambda xs, out: out != xs and len(xs) > k)


def _chunk_sums(rng: random.Random) -> Spec:
    m = rng.randint(2, 4)

    def ref(xs: list[int]) -> list[int]:
        return [sum(xs[i:i + m]) for i in range(0, len(xs), m)]

    body = _b(f"""
        sums = []
        total = 0
        count = 0
        for x in xs:
            total += x
            count += 1
            if count == {m}:
                sums.append(total)
                total = 0
                count = 0
        if count:
            sums.append(total)
        return sums
    """)
    mutants = (
        ("drops_partial_group", _b(f"""
            return [sum(xs[i:i + {m}]) for i in range(0, len(xs) - {m} + 1, {m})]
        """)),
        ("groups_from_the_end", _b(f"""
            r = len(xs) % {m}
            groups = ([xs[:r]] if r else []) + [xs[i:i + {m}] for i in range(r, len(xs), {m})]
            return [sum(g) for g in groups]
        """)),
    )
    doc = (f"Split xs into consecutive groups of {m} elements, starting from the front (the last group "
           f"has fewer elements when the length of xs is not a multiple of {m}), and return the list of "
           "the sums of the groups. An empty list gives [].")
    return Spec("chunk_sums", "group_sums", "list[int]", "list", doc, body, mutants, ref, (("m", m),),
                interesting=lambda xs, out: len(xs) % m != 0)


def _mode(rng: random.Random) -> Spec:
    smallest = rng.random() < 0.5
    word = "smallest" if smallest else "largest"

    def ref(xs: list[int]) -> int | None:
        if not xs:
            return None
        counts: dict[int, int] = {}
        for x in xs:
            counts[x] = counts.get(x, 0) + 1
        top = max(counts.values())
        tied = [v for v, c in counts.items() if c == top]
        return min(tied) if smallest else max(tied)

    body = _b(f"""
        best = None
        best_count = 0
        for value in sorted(set(xs), reverse={not smallest}):
            count = xs.count(value)
            if count > best_count:
                best = value
                best_count = count
        return best
    """)
    mutants = (
        ("first_seen_on_tie", _b("""
            from collections import Counter
            if not xs:
                return None
            return Counter(xs).most_common(1)[0][0]
        """)),
        ("set_order_on_tie", _b("""
            if not xs:
                return None
            return max(set(xs), key=xs.count)
        """)),
        ("crashes_on_empty", _b(f"""
            counts = {{v: xs.count(v) for v in xs}}
            top = max(counts.values())
            return {'min' if smallest else 'max'}(v for v in counts if counts[v] == top)
        """)),
    )
    doc = (f"Return the value that occurs most often in xs. If several values occur equally often, "
           f"return the {word} of them. An empty list gives None.")

    def interesting(xs: list[int], out: Any) -> bool:
        return out is not None and xs.count(out) >= 2

    return Spec("mode", "most_frequent", "int | None", "opt_int", doc, body, mutants, ref,
                (("ties", word),), interesting=interesting)


def _floor_mean(rng: random.Random) -> Spec:
    down = rng.random() < 0.5

    def ref(xs: list[int]) -> int:
        if not xs:
            return 0
        return sum(xs) // len(xs) if down else -(-sum(xs) // len(xs))

    if down:
        body = _b("""
            if not xs:
                return 0
            total = sum(xs)
            q, r = divmod(abs(total), len(xs))
            if total >= 0:
                return q
            return -q - (1 if r else 0)
        """)
        via_float = "math.floor(sum(xs) / len(xs))"
        crash = "sum(xs) // len(xs)"
        doc = ("Return the average (arithmetic mean) of xs rounded down to a whole number, that is "
               "towards minus infinity. An empty list gives 0.")
    else:
        body = _b("""
            if not xs:
                return 0
            total = sum(xs)
            q, r = divmod(abs(total), len(xs))
            if total <= 0:
                return -q
            return q + (1 if r else 0)
        """)
        via_float = "math.ceil(sum(xs) / len(xs))"
        crash = "-(-sum(xs) // len(xs))"
        doc = ("Return the average (arithmetic mean) of xs rounded up to a whole number, that is "
               "towards plus infinity. An empty list gives 0.")
    mutants = (
        ("truncates", _b("""
            if not xs:
                return 0
            return int(sum(xs) / len(xs))
        """)),
        ("float_division", _b(f"""
            import math
            if not xs:
                return 0
            return {via_float}
        """)),
        ("crashes_on_empty", _b(f"return {crash}")),
    )
    return Spec("floor_mean", "rounded_mean", "int", "int", doc, body, mutants, ref,
                (("rounding", "down" if down else "up"),),
                interesting=lambda xs, out: bool(xs) and sum(xs) % len(xs) != 0)


def _pair_count(rng: random.Random) -> Spec:
    target = 2 * rng.randint(5, 15)  # even, so a value paired with itself can reach it

    def ref(xs: list[int]) -> int:
        return sum(1 for i, j in itertools.combinations(range(len(xs)), 2) if xs[i] + xs[j] == target)

    body = _b(f"""
        seen = {{}}
        count = 0
        for x in xs:
            count += seen.get({target} - x, 0)
            seen[x] = seen.get(x, 0) + 1
        return count
    """)
    mutants = (
        ("distinct_values_only", _b(f"""
            values = set(xs)
            return sum(1 for a in values for b in values if a < b and a + b == {target})
        """)),
        ("pairs_an_element_with_itself", _b(f"""
            count = 0
            for i in range(len(xs)):
                for j in range(i, len(xs)):
                    if xs[i] + xs[j] == {target}:
                        count += 1
            return count
        """)),
    )
    doc = f"Return the number of pairs of positions i < j such that xs[i] + xs[j] == {target}."
    half = target // 2
    return Spec("pair_count", "count_pairs", "int", "int", doc, body, mutants, ref, (("target", target),),
                special=((half,), (half, half), (half, half, half), (half, target - half + 1, half - 1)),
                interesting=lambda xs, out: out >= 1)


def _smallest_missing(rng: random.Random) -> Spec:
    start = rng.choice([0, 1])
    what = "non-negative" if start == 0 else "positive"

    def ref(xs: list[int]) -> int:
        return min(set(range(start, start + len(xs) + 1)) - set(xs))

    body = _b(f"""
        present = set(xs)
        value = {start}
        while value in present:
            value += 1
        return value
    """)
    mutants = (
        ("ignores_values_below_start", _b(f"""
            m = {start}
            for x in sorted(set(xs)):
                if x > m:
                    break
                m = x + 1
            return m
        """)),
        ("scans_up_to_the_maximum", _b(f"""
            top = max(xs)
            for value in range({start}, top + 1):
                if value not in xs:
                    return value
            return top + 1
        """)),
    )
    doc = f"Return the smallest {what} integer (at least {start}) that does not occur in xs."
    return Spec("smallest_missing", f"smallest_missing_{what.replace('-', '_')}", "int", "int", doc, body,
                mutants, ref, (("start", start),), special=((-3,), (-5, -1), (start - 2,)),
                interesting=lambda xs, out: out > start)


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _sign_changes(rng: random.Random) -> Spec:
    def ref(xs: list[int]) -> int:
        nz = [x for x in xs if x != 0]
        return sum(1 for a, b in zip(nz, nz[1:]) if _sign(a) != _sign(b))

    body = _b("""
        changes = 0
        previous = 0
        for x in xs:
            if x == 0:
                continue
            if previous != 0 and (x > 0) != (previous > 0):
                changes += 1
            previous = x
        return changes
    """)
    mutants = (
        ("neighbours_only", _b("""
            return sum(1 for a, b in zip(xs, xs[1:]) if a * b < 0)
        """)),
        ("zero_counts_as_positive", _b("""
            return sum(1 for a, b in zip(xs, xs[1:]) if (a < 0) != (b < 0))
        """)),
    )
    doc = ("Return how many times the sign changes when reading xs from left to right, skipping zeros: "
           "count the non-zero elements whose sign is opposite to the sign of the nearest non-zero "
           "element before them.")
    return Spec("sign_changes", "sign_changes", "int", "int", doc, body, mutants, ref, (),
                values=(-9, 9), special=((3, 0, -2), (-1, 0, 0, -4), (0,), (0, 0, 5)),
                interesting=lambda xs, out: out >= 2)


def _max_window(rng: random.Random) -> Spec:
    w = rng.randint(2, 4)

    def ref(xs: list[int]) -> int | None:
        if len(xs) < w:
            return None
        return max(sum(xs[i:i + w]) for i in range(len(xs) - w + 1))

    body = _b(f"""
        if len(xs) < {w}:
            return None
        window = sum(xs[:{w}])
        best = window
        for i in range({w}, len(xs)):
            window += xs[i] - xs[i - {w}]
            best = max(best, window)
        return best
    """)
    mutants = (
        ("starts_at_zero", _b(f"""
            if len(xs) < {w}:
                return None
            best = 0
            for i in range(len(xs) - {w} + 1):
                best = max(best, sum(xs[i:i + {w}]))
            return best
        """)),
        ("misses_last_window", _b(f"""
            if len(xs) < {w}:
                return None
            best = sum(xs[:{w}])
            for i in range(1, len(xs) - {w}):
                best = max(best, sum(xs[i:i + {w}]))
            return best
        """)),
    )
    doc = (f"Return the largest sum of {w} consecutive elements of xs, or None if xs has fewer than "
           f"{w} elements.")
    return Spec("max_window", "best_window_sum", "int | None", "opt_int", doc, body, mutants, ref, (("w", w),),
                interesting=lambda xs, out: out is not None and len(xs) > w + 1)


def _keep_first(rng: random.Random) -> Spec:
    c = rng.choice([1, 2])
    how = "the first occurrence" if c == 1 else "the first two occurrences"

    def ref(xs: list[int]) -> list[int]:
        seen: dict[int, int] = {}
        out = []
        for x in xs:
            seen[x] = seen.get(x, 0) + 1
            if seen[x] <= c:
                out.append(x)
        return out

    body = _b(f"""
        kept = []
        for x in xs:
            if kept.count(x) < {c}:
                kept.append(x)
        return kept
    """)
    mutants = (
        ("neighbours_only", _b(f"""
            kept = []
            run = 0
            for i, x in enumerate(xs):
                run = run + 1 if i > 0 and xs[i - 1] == x else 1
                if run <= {c}:
                    kept.append(x)
            return kept
        """)),
        ("keeps_last_occurrences", _b(f"""
            return [x for i, x in enumerate(xs) if xs[i + 1:].count(x) < {c}]
        """)),
    )
    doc = (f"Return the elements of xs in their original order, keeping only {how} of each value "
           "(later repeats are removed).")
    return Spec("keep_first", "drop_repeats", "list[int]", "list", doc, body, mutants, ref, (("copies", c),),
                interesting=lambda xs, out: out != xs, idempotent=True)


def _run_length(rng: random.Random) -> Spec:
    def ref(xs: list[int]) -> list[list[int]]:
        return [[k, len(list(g))] for k, g in itertools.groupby(xs)]

    body = _b("""
        pairs = []
        for x in xs:
            if pairs and pairs[-1][0] == x:
                pairs[-1][1] += 1
            else:
                pairs.append([x, 1])
        return pairs
    """)
    mutants = (
        ("merges_separate_blocks", _b("""
            counts = {}
            for x in xs:
                counts[x] = counts.get(x, 0) + 1
            return [[v, c] for v, c in counts.items()]
        """)),
        ("crashes_on_empty", _b("""
            pairs = [[xs[0], 0]]
            for x in xs:
                if pairs[-1][0] == x:
                    pairs[-1][1] += 1
                else:
                    pairs.append([x, 1])
            return pairs
        """)),
    )
    doc = ("Return the run-length encoding of xs: a list of [value, count] pairs, one for each maximal "
           "block of equal neighbouring elements, in order. An empty list gives [].")
    return Spec("run_length", "run_length", "list[list[int]]", "pairs", doc, body, mutants, ref, (),
                values=(0, 4), interesting=lambda xs, out: any(c >= 2 for _, c in out))


#: family name -> builder from a seeded random generator
FAMILIES: dict[str, Callable[[random.Random], Spec]] = {
    "records": _records,
    "kth_largest": _kth_largest,
    "longest_run": _longest_run,
    "rotate": _rotate,
    "chunk_sums": _chunk_sums,
    "mode": _mode,
    "floor_mean": _floor_mean,
    "pair_count": _pair_count,
    "smallest_missing": _smallest_missing,
    "sign_changes": _sign_changes,
    "max_window": _max_window,
    "keep_first": _keep_first,
    "run_length": _run_length,
}


def draw(family: str, rng: random.Random) -> Spec:
    """A fresh problem of `family` (constants drawn from `rng`)."""
    try:
        builder = FAMILIES[family]
    except KeyError:
        raise ValueError(f"function problems: unknown family {family!r}; known: {', '.join(FAMILIES)}") from None
    return builder(rng)
