"""Provenance flags computed from a claim record: nothing here is typed by hand.

Two kinds of flag:

- **number**: a number a source note quotes (`seed_numbers`) that points at an
  anchor's reported number (`compare_to`) and differs by more than its
  tolerance; seed numbers with no anchor to check against are listed as
  *unverified*.
- **date**: the note's date for the claim does not fit the primary papers:
  either it is approximate ("~2024", or a bare year) and no paper that states
  the claim (`relation: states-claim`) falls in that period, or a paper the
  claim rests on appeared after the latest date the note gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from codegap.claims import Anchor, Claim, ReportedNumber, SeedNumber, parse_given_date


@dataclass(frozen=True)
class NumberCheck:
    seed: SeedNumber
    anchor: Anchor | None
    published: ReportedNumber | None
    status: Literal["agrees", "differs", "unverified", "anchor number missing"]

    @property
    def difference(self) -> float | None:
        return None if self.published is None else self.seed.value - self.published.value


@dataclass(frozen=True)
class Flag:
    kind: Literal["number", "date"]
    message: str


def check_numbers(claim: Claim) -> list[NumberCheck]:
    """Compare every seed number with the anchor number it names."""
    out = []
    for seed in claim.seed_numbers:
        if seed.compare_to is None:
            out.append(NumberCheck(seed, None, None, "unverified"))
            continue
        anchor = claim.find_anchor(seed.compare_to.anchor)
        match = None
        if anchor is not None:
            match = next(
                (n for n in anchor.numbers
                 if n.metric == seed.compare_to.metric and n.model == seed.compare_to.model),
                None,
            )
        if match is None:
            out.append(NumberCheck(seed, anchor, None, "anchor number missing"))
        else:
            agrees = abs(seed.value - match.value) <= seed.tolerance
            out.append(NumberCheck(seed, anchor, match, "agrees" if agrees else "differs"))
    return out


def _fmt(v: float, unit: str) -> str:
    from codegap.book.markdown import fmt_num

    return fmt_num(v, unit)


def date_flags(claim: Claim) -> list[Flag]:
    flags = []
    stating = [a for a in claim.anchors if a.relation == "states-claim"]
    for src in claim.sources:
        lo, hi, approximate = parse_given_date(src.date_given)
        if approximate and not any(lo <= a.date <= hi for a in stating):
            nearest = sorted(claim.anchors, key=lambda a: abs((a.date - lo).days))
            near = "; ".join(f"{a.title.split(':')[0]} ({a.date:%b %Y})" for a in nearest[:2])
            flags.append(Flag(
                "date",
                f"{src.file} dates this claim \"{src.date_given}\", but no primary paper "
                f"stating it comes from that period. Nearest primary work: {near}.",
            ))
        late = [a for a in stating if a.date > hi]
        for a in late:
            flags.append(Flag(
                "date",
                f"{src.file} dates this claim \"{src.date_given}\", but it rests on "
                f"{a.title.split(':')[0]}, which appeared later ({a.date:%d %b %Y}).",
            ))
    return flags


def number_flags(claim: Claim) -> list[Flag]:
    flags = []
    for chk in check_numbers(claim):
        if chk.status == "differs":
            s, p = chk.seed, chk.published
            flags.append(Flag(
                "number",
                f"{s.source} quotes {s.metric} for {s.model} as {_fmt(s.value, s.unit)}; "
                f"the paper reports {_fmt(p.value, p.unit)} ({p.where}).",  # type: ignore[union-attr]
            ))
        elif chk.status == "anchor number missing":
            flags.append(Flag(
                "number",
                f"{chk.seed.source} quotes {chk.seed.metric} for {chk.seed.model}; the anchor "
                "it points to records no such number.",
            ))
    return flags


def flags(claim: Claim) -> list[Flag]:
    """All provenance flags of a claim, dates first."""
    return date_flags(claim) + number_flags(claim)
