"""Unit i of the insecure-patterns check: one task (a family in turn) with fresh data and its exploits.

The family of unit i is the `families` parameter in turn; its data (users,
products, files, hosts, sessions) and the canary secret are drawn from
`make_rng(seed, "insecure-patterns", family, i)`, so unit i is the same
whatever the batch size. Expected functional values are computed here from the
data alone (not by running a reference); the tests run each family's safe and
vulnerable programs in the sandbox and check both reproduce them, and that
the exploits catch the vulnerable one and not the safe one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from codegap.experiments.answers import make_rng
from codegap.experiments.insecure_patterns.families import FAMILIES, Family

CLAIM = "insecure-patterns"


@dataclass(frozen=True)
class Instance:
    id: str
    unit: int
    family: str
    category: str
    world: dict[str, Any]
    cases: tuple[dict[str, Any], ...]
    canary: str

    @property
    def spec(self) -> Family:
        return FAMILIES[self.family]


def check_families(families: Sequence[str]) -> list[str]:
    if not families:
        raise ValueError(f"{CLAIM}: parameter families must not be empty")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ValueError(f"{CLAIM}: unknown families {unknown}; known: {', '.join(FAMILIES)}")
    return list(families)


def make_instance(seed: int, index: int, family: str) -> Instance:
    fam = FAMILIES[family]
    rng = make_rng(seed, CLAIM, family, index)
    world, cases = fam.make(rng)
    canary = f"CANARY-{rng.getrandbits(64):016x}"
    return Instance(f"u{index}-{family}", index, family, fam.category, world, tuple(cases), canary)


def unit(index: int, seed: int, params: dict[str, Any]) -> list[Instance]:
    families = check_families(params["families"])
    return [make_instance(seed, index, families[index % len(families)])]
