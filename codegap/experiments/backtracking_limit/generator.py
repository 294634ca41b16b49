"""Workshop-scheduling puzzles in prose that only a search with backtracking solves.

Each instance: `people` speakers (7 by default) get one of `slots` time slots
(4; slots 1..k/2 are "the morning"). The people belong to three teams, and
`rules` requirements (10) are written as an organiser would write them. The
generator plants a schedule first and draws only requirements it satisfies,
so every instance is solvable.

Why prose with defined terms: the solver arm must *formalise*. A requirement
such as "Nobody from the green team can speak in the morning" names a team
(defined in another sentence) and a part of the day (defined in another), and
expands into one constraint per team member; "Dan must speak after every
member of the red team" likewise. No requirement is written in the notation of
any solver API, and every instance has at least two requirements that expand
into several constraints and at least three stated through a defined term
(tests check both).

Why these instances: an instance is kept only when every assigner that never
retracts fails on it: greedy and forward-checking, each taking people in the
listed order or most-constrained first (`csp.Network.baselines`). Its hardness
is the number of backtracks a depth-first solver needs (`csp.Profile.
backtracks`: expected retractions over random value orders, computed exactly);
each level is a band of that number. People, slots and number of requirements
are the same at every level, so a harder instance is not a longer one, and no
pair of people is related by two requirements (none repeats or merely
tightens another).

How: a local search over the requirement set finds instances in a band.
Starting from random requirements the planted schedule satisfies, it replaces
one at a time and keeps the change when the instance gets no farther from
acceptable (first: enough group and indirect requirements, no non-retracting
assigner that gets through; then: backtracks inside the band). When an
assigner gets through, the replacement is drawn among requirements its
schedule breaks. It is deterministic given the seed, unit, level and
parameters, and takes about 0.1 s per instance.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from codegap.experiments.answers import make_rng
from codegap.experiments.backtracking_limit.csp import Network, Prim, solutions

CLAIM = "backtracking-limit"
NAMES = ("Ana", "Ben", "Cleo", "Dan", "Eli", "Finn", "Gus", "Hana", "Ivo", "Jade", "Kai", "Lena", "Milo",
         "Nora", "Otto", "Pia", "Raul", "Sara", "Theo", "Uma", "Vera", "Yara", "Zoe")
TEAMS = ("red", "blue", "green", "yellow", "orange")
NUMBER_WORDS = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}
#: local-search steps per start, and starts, before giving up on a band (never reached in tests)
STEPS, STARTS = 80, 400


@dataclass(frozen=True)
class Rule:
    """One requirement as written, and the primitive constraints it means."""

    text: str
    prims: tuple[Prim, ...]
    indirect: bool  # stated through a defined term (a team, morning/afternoon, first/last slot)
    template: str


@dataclass(frozen=True)
class Instance:
    """One puzzle, its verified reference schedule and its search profile."""

    id: str
    unit: int
    level: int  # index into the parameter `levels` (0 = fewest backtracks)
    people: tuple[str, ...]  # listed order = the order of the answer
    slots: int
    half: int  # slots 1..half are the morning
    teams: tuple[tuple[str, tuple[int, ...]], ...]
    rules: tuple[Rule, ...]
    reference: tuple[int, ...]  # one schedule that satisfies every rule (slot per person)
    backtracks: float  # expected retractions of a depth-first solver (random value order)
    ascending_backtracks: int  # retractions of a depth-first solver trying slots 1, 2, 3, ...
    walk_success: float  # chance a left-to-right assigner that never retracts succeeds
    solutions: int
    chance: float  # chance a uniformly random schedule satisfies every rule
    n_constraints: int  # primitive constraints behind the rules

    @property
    def prims(self) -> tuple[Prim, ...]:
        return tuple(p for r in self.rules for p in r.prims)

    def network(self) -> Network:
        return Network(len(self.people), self.slots, self.prims, half=self.half)

    def violated(self, schedule: Sequence[int]) -> list[int]:
        """Indices of the rules a complete schedule breaks."""
        return [i for i, r in enumerate(self.rules) if not all(p.holds(schedule, half=self.half) for p in r.prims)]

    # --- prose --------------------------------------------------------------------------------------
    def setting(self) -> str:
        """The puzzle as an organiser would write it (every arm gets exactly this text)."""
        k, h = self.slots, self.half
        people = join_names(self.people)
        morning = join_names([str(s) for s in range(1, h + 1)])
        afternoon = join_names([str(s) for s in range(h + 1, k + 1)])
        teams = "; ".join(f"{join_names([self.people[i] for i in members])} are in the {name} team"
                          for name, members in self.teams)
        lines = [f"{NUMBER_WORDS.get(len(self.people), len(self.people)).capitalize()} people give one talk "
                 f"each at a one-day workshop: {people}. The day has {NUMBER_WORDS.get(k, k)} time slots, "
                 f"numbered 1 to {k} in the order they happen; slots {morning} are the morning and slots "
                 f"{afternoon} the afternoon. Every talk takes exactly one slot, and several talks may run "
                 "at the same time in one slot unless a requirement below rules it out.",
                 f"Teams: {teams}.", "", "The organisers' requirements:"]
        lines += [f"{i}. {r.text}" for i, r in enumerate(self.rules, 1)]
        return "\n".join(lines)


def join_names(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- requirement templates ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Ctx:
    """What requirement texts can refer to: the people, their teams, the slots and the morning."""

    people: tuple[str, ...]
    teams: tuple[tuple[str, tuple[int, ...]], ...]
    k: int
    half: int

    def part(self, name: str) -> frozenset[int]:
        """The slots of "morning" or "afternoon"."""
        return frozenset(range(1, self.half + 1)) if name == "morning" else frozenset(range(self.half + 1, self.k + 1))


def _other(part: str) -> str:
    return "afternoon" if part == "morning" else "morning"


@dataclass(frozen=True)
class Template:
    """A kind of requirement: its argument choices, the constraints they mean, and ways to say it.

    `texts` are format strings over A, B (people), X (a person), T (a team
    colour), P and Q (a part of the day and the other part).
    """

    options: Callable[[Ctx], list[tuple]]
    prims: Callable[[tuple, Ctx], tuple[Prim, ...]]
    texts: tuple[str, ...]
    indirect: bool
    weight: int

    def say(self, name: str, args: tuple, ctx: Ctx, rng: random.Random) -> Rule:
        fields = _fields(name, args, ctx)
        return Rule(rng.choice(self.texts).format(**fields), self.prims(args, ctx), self.indirect, name)


def _ordered_pairs(ctx: Ctx) -> list[tuple]:
    n = len(ctx.people)
    return [(a, b) for a in range(n) for b in range(n) if a != b]


def _unordered_pairs(ctx: Ctx) -> list[tuple]:
    return list(itertools.combinations(range(len(ctx.people)), 2))


def _fields(name: str, args: tuple, ctx: Ctx) -> dict[str, str]:
    """Format fields of a template's text from its arguments."""
    p = ctx.people
    if name == "team_apart":
        return {"T": ctx.teams[args[0]][0]}
    if name == "after_team":
        return {"T": ctx.teams[args[0]][0], "X": p[args[1]]}
    if name == "team_half":
        return {"T": ctx.teams[args[0]][0], "P": args[1], "Q": _other(args[1])}
    if name == "half_only":
        return {"X": p[args[0]], "P": args[1], "Q": _other(args[1])}
    if name == "not_end":
        return {"X": p[args[0]], "E": args[1]}
    return {"A": p[args[0]], "B": p[args[1]]}


TEMPLATES: dict[str, Template] = {
    "team_apart": Template(
        lambda c: [(t,) for t in range(len(c.teams)) if len(c.teams[t][1]) >= 2],
        lambda a, c: tuple(Prim("ne", x, y) for x, y in itertools.combinations(c.teams[a[0]][1], 2)),
        ("No two members of the {T} team may speak in the same slot.",
         "The {T} team wants to hear each other's talks, so no two of its members may share a slot."), True, 2),
    "after_team": Template(
        lambda c: [(t, x) for t in range(len(c.teams)) for x in range(len(c.people)) if x not in c.teams[t][1]],
        lambda a, c: tuple(Prim("lt", m, a[1]) for m in c.teams[a[0]][1]),
        ("{X} must speak after every member of the {T} team.",
         "{X} sums up the {T} team's work, so {X} speaks later than each of its members."), True, 2),
    "team_half": Template(
        lambda c: [(t, part) for t in range(len(c.teams)) for part in ("morning", "afternoon")],
        lambda a, c: tuple(Prim("in", m, values=c.part(_other(a[1]))) for m in c.teams[a[0]][1]),
        ("Nobody from the {T} team can speak in the {P}.",
         "The {T} team only arrives for the {Q}, so all its talks are then."), True, 1),
    "before": Template(
        _ordered_pairs, lambda a, c: (Prim("lt", a[0], a[1]),),
        ("{A} must speak before {B}.",
         "{B} wants to hear {A}'s talk first, so {A} must speak in an earlier slot than {B}.",
         "{A}'s talk has to come earlier in the day than {B}'s."), False, 3),
    "half_only": Template(
        lambda c: [(x, part) for x in range(len(c.people)) for part in ("morning", "afternoon")],
        lambda a, c: (Prim("in", a[0], values=c.part(a[1])),),
        ("{X} can only come in the {P}.", "{X} is away all {Q}."), True, 1),
    "not_end": Template(
        lambda c: [(x, end) for x in range(len(c.people)) for end in ("first", "last")],
        lambda a, c: (Prim("in", a[0], values=frozenset(range(2, c.k + 1)) if a[1] == "first"
                           else frozenset(range(1, c.k))),),
        ("{X} cannot take the {E} slot of the day.", "{X} is not available for the {E} slot."), True, 1),
    "gap": Template(
        _unordered_pairs, lambda a, c: (Prim("gap", a[0], a[1]),),
        ("{A} and {B} may not speak in the same slot or in neighbouring slots.",
         "There must be at least one whole slot between {A}'s talk and {B}'s talk."), False, 2),
    "same_half": Template(
        _unordered_pairs, lambda a, c: (Prim("same_half", a[0], a[1]),),
        ("{A} and {B} travel together, so they both speak in the morning or both in the afternoon.",
         "{A} and {B} must speak in the same half of the day."), True, 1),
    "other_half": Template(
        _unordered_pairs, lambda a, c: (Prim("other_half", a[0], a[1]),),
        ("Exactly one of {A} and {B} speaks in the morning.",
         "{A} and {B} share a car, so one of them speaks in the morning and the other in the afternoon."),
        True, 1),
    "next": Template(
        _ordered_pairs, lambda a, c: (Prim("next", a[0], a[1]),),
        ("{B} speaks in the slot directly after {A}'s.", "{B}'s talk answers {A}'s, in the very next slot."),
        False, 2),
    "apart": Template(
        _unordered_pairs, lambda a, c: (Prim("ne", a[0], a[1]),),
        ("{A} and {B} share a projector, so they cannot speak in the same slot.",
         "{A} and {B} must not speak at the same time."), False, 3),
}

#: every instance must have at least this many requirements that expand into several constraints,
#: and at least this many stated through a defined term (see module doc)
MIN_GROUP, MIN_INDIRECT = 2, 3


def _pairs(rules: Sequence[Rule]) -> set[frozenset[int]]:
    """The pairs of people some requirement already relates (each pair is related at most once)."""
    return {frozenset(p.scope) for r in rules for p in r.prims if p.kind != "in"}


class _Menu:
    """Every requirement the planted schedule satisfies, by template (built once per start)."""

    def __init__(self, ctx: Ctx, plant: Sequence[int]) -> None:
        self.ctx = ctx
        self.names = [n for n in TEMPLATES]
        self.weights = [TEMPLATES[n].weight for n in self.names]
        self.items: dict[str, list[tuple[tuple, tuple[Prim, ...], frozenset[frozenset[int]]]]] = {}
        for name in self.names:
            t = TEMPLATES[name]
            keep = []
            for args in t.options(ctx):
                prims = t.prims(args, ctx)
                if prims and all(p.holds(plant, half=ctx.half) for p in prims):
                    keep.append((args, prims, frozenset(frozenset(p.scope) for p in prims if p.kind != "in")))
            self.items[name] = keep

    def draw(self, rng: random.Random, others: Sequence[Rule], against: Sequence[int] | None = None) -> Rule:
        """A random requirement that adds something new to `others` (see `make`), preferring ones `against` breaks."""
        taken = {r.prims for r in others}
        related = _pairs(others)
        for _ in range(100):
            name = rng.choices(self.names, self.weights)[0]
            fits = [it for it in self.items[name] if it[1] not in taken and not it[2] & related]
            if against is not None:
                fits = [it for it in fits if not all(p.holds(against, half=self.ctx.half) for p in it[1])] or fits
            if fits:
                args = rng.choice(fits)[0]
                return TEMPLATES[name].say(name, args, self.ctx, rng)
        raise RuntimeError(f"{CLAIM}: no new requirement fits the planted schedule")  # pragma: no cover


def _badness(rules: Sequence[Rule], n: int, k: int, half: int,
             band: tuple[float, float]) -> tuple[tuple[float, float], Network, list[list[int]]]:
    """(structure, distance), the network, and the schedules of assigners that solved it without retracting.

    (0, 0) means the rule set is an acceptable instance of the band.
    `structure` counts what is wrong regardless of the band (too few group or
    indirect requirements, a non-retracting assigner that succeeds); only when
    it is 0 is the search profile computed (the costly part) and `distance`
    says how far its backtracks lie outside the band (log scale).
    """
    net = Network(n, k, [p for r in rules for p in r.prims], half=half)
    groups = sum(len(r.prims) >= 2 for r in rules)
    indirect = sum(r.indirect for r in rules)
    winners = [a for a in net.baseline_runs(first_only=True).values() if a is not None]
    structure = 2.0 * (max(0, MIN_GROUP - groups) + max(0, MIN_INDIRECT - indirect)) + len(winners)
    if structure:
        return (structure, 0.0), net, winners
    e = net.profile.backtracks
    lo, hi = band
    distance = math.log((lo + 0.5) / (e + 0.5)) if e < lo else math.log((e + 0.5) / (hi + 0.5)) if e > hi else 0.0
    return (0.0, distance), net, winners


@lru_cache(maxsize=4096)
def make(seed: int, unit: int, level: int, band: tuple[float, float], people: int = 7, slots: int = 4,
         rules: int = 10) -> Instance:
    """The instance of `unit` at `level` (its band of backtracks): a pure function of the arguments."""
    if not 4 <= people <= len(NAMES):
        raise ValueError(f"{CLAIM}: people must be in 4..{len(NAMES)}, got {people}")
    if not 2 <= slots <= 8 or slots % 2:
        raise ValueError(f"{CLAIM}: slots must be an even number in 2..8 (half is the morning), got {slots}")
    if rules < MIN_GROUP + MIN_INDIRECT:
        raise ValueError(f"{CLAIM}: rules must be at least {MIN_GROUP + MIN_INDIRECT}, got {rules}")
    lo, hi = band
    if not 0 <= lo <= hi:
        raise ValueError(f"{CLAIM}: a level's band of backtracks must be [low, high] with 0 <= low <= high, "
                         f"got {list(band)}")
    rng = make_rng(seed, CLAIM, "instance", people, slots, rules, lo, hi, unit)
    half = slots // 2
    for _ in range(STARTS):
        names = tuple(sorted(rng.sample(NAMES, people)))
        order = list(range(people))
        rng.shuffle(order)
        sizes = _team_sizes(people, rng)
        colours = rng.sample(TEAMS, len(sizes))
        teams, start = [], 0
        for colour, size in zip(colours, sizes):
            teams.append((colour, tuple(sorted(order[start:start + size]))))
            start += size
        ctx = Ctx(names, tuple(teams), slots, half)
        plant = [rng.randint(1, slots) for _ in range(people)]
        menu = _Menu(ctx, plant)
        chosen: list[Rule] = []
        for _ in range(rules):
            chosen.append(menu.draw(rng, chosen))
        score, net, winners = _badness(chosen, people, slots, half, band)
        for _ in range(STEPS):
            if score == (0.0, 0.0):
                break
            i = rng.randrange(rules)
            against = rng.choice(winners) if winners else None
            trial = chosen[:i] + [menu.draw(rng, chosen[:i] + chosen[i + 1:], against)] + chosen[i + 1:]
            new, new_net, new_winners = _badness(trial, people, slots, half, band)
            if new <= score:
                chosen, score, net, winners = trial, new, new_net, new_winners
        if score == (0.0, 0.0):
            prof = net.profile
            ref = solutions(net, limit=1)[0]
            return Instance(f"u{unit}-L{level}", unit, level, names, slots, half, tuple(teams), tuple(chosen),
                            tuple(ref), round(prof.backtracks, 4), prof.ascending_backtracks,
                            round(prof.walk_success, 6), prof.solutions, prof.chance,
                            sum(len(r.prims) for r in chosen))
    raise RuntimeError(f"{CLAIM}: no instance with {lo}..{hi} backtracks found for unit {unit} "
                       f"({STARTS} starts); widen the band in claims/{CLAIM}.yaml: experiment.parameters.levels")


def _team_sizes(people: int, rng: random.Random) -> list[int]:
    """Three teams of at least two people (two teams when there are fewer than six people)."""
    teams = 3 if people >= 6 else 2
    sizes = [2] * teams
    for _ in range(people - 2 * teams):
        sizes[rng.randrange(teams)] += 1
    return sizes


def unit(index: int, seed: int, levels: Sequence[Sequence[float]], people: int, slots: int,
         rules: int) -> list[Instance]:
    """Unit `index`: one instance per level (same people, slots and number of requirements)."""
    if not levels:
        raise ValueError(f"{CLAIM}: levels must not be empty")
    out = []
    for li, band in enumerate(levels):
        if len(band) != 2:
            raise ValueError(f"{CLAIM}: each level is [low, high] backtracks, got {band!r}")
        out.append(make(seed, index, li, (float(band[0]), float(band[1])), people, slots, rules))
    return out
