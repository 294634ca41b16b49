"""Provenance flags computed from a claim record: nothing here is typed by hand.

A flag says the ledger does not back what a source note says. Kinds:

- **source**: no anchor states the claim (`relation: states-claim`); when no
  anchor even gives evidence for it, the claim is *unsupported*.
- **date**: the note's date for the claim does not fit the primary sources:
  no paper stating the claim falls in the period it names (any precision: an
  exact date without a stating paper is flagged too), a stating paper or a
  work the note cites appeared after that date, or the note dates a work it
  cites differently from the work itself.
- **number**: a quoted number differs from the anchor number it points at,
  compares a relative with an absolute change, points at a number the anchor
  lacks, or cannot be traced to any primary source.
- **author**: the note names authors who are not the anchor's (first) authors.
- **relation**: an anchor's relation comes with no justification from its abstract.

What could not be checked (a number with nothing to compare with, a number
only a summary reports, an attribution to an anchor whose authors are not
committed) is listed by `not_checked`, so "no flags" never stands for "not
looked at". Everything is computed from the committed record alone; the
optional `mirror_mismatches` cross-checks committed metadata against the
offline arXiv snapshot when it is present.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

from codegap.claims import (
    Anchor,
    Citation,
    Claim,
    ReportedNumber,
    SeedNumber,
    Source,
    parse_given_date,
)

FlagKind = Literal["source", "date", "number", "author", "relation"]
Status = Literal["agrees", "differs", "not comparable", "second-hand only", "untraceable",
                 "unverified", "anchor number missing"]
Support = Literal["stated", "evidence only", "unsupported"]


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    message: str


@dataclass(frozen=True)
class NumberCheck:
    seed: SeedNumber
    anchor: Anchor | None
    published: ReportedNumber | None
    status: Status

    @property
    def difference(self) -> float | None:
        return None if self.published is None else self.seed.value - self.published.value


# ---------------------------------------------------------------- formatting


def fmt_value(value: float, unit: str, change: str | None = None) -> str:
    """A number as what it is: a level, a relative change or a change in points.

    Why: "39%" for a relative drop read as 39 points (90 -> 51 instead of 90 -> 55).
    """
    from codegap.book.markdown import fmt_num

    if change is None:
        return fmt_num(value, unit) + (" s" if unit == "s" else "")
    if change == "relative":
        return f"{value:g}% (relative change)"
    if change == "absolute":
        return f"{value:g} points" if unit == "%" else f"{fmt_num(value, unit)} (absolute change)"
    return f"{fmt_num(value, unit)} (relative or absolute: the source does not say)"


def _num(n: ReportedNumber | SeedNumber) -> str:
    return fmt_value(n.value, n.unit, n.change)


def _cite_name(a: Anchor) -> str:
    return f"arXiv:{a.arxiv_base}" if a.arxiv else f"“{a.short_title}”"


# ------------------------------------------------------------------ support


def stating(claim: Claim) -> list[Anchor]:
    return [a for a in claim.anchors if a.relation == "states-claim"]


def support(claim: Claim) -> Support:
    """stated: an anchor states it; evidence only: none states it but one gives
    evidence; unsupported: no anchor states it or gives evidence for it."""
    if stating(claim):
        return "stated"
    if any(a.relation == "evidence" for a in claim.anchors):
        return "evidence only"
    return "unsupported"


def source_flags(claim: Claim) -> list[Flag]:
    level = support(claim)
    if level == "stated":
        return []
    rel = "; ".join(f"{a.short_title}: {a.relation.replace('-', ' ')}" for a in claim.anchors)
    if level == "evidence only":
        return [Flag("source", f"No primary source states this claim; the anchors only bear on it ({rel}).")]
    extra = (" The note's numbers for it cannot be traced either (see the number flags)."
             if any(s.untraceable for s in claim.seed_numbers) else "")
    return [Flag("source", "Unsupported: no primary source states this claim or gives evidence for it "
                           f"({rel}).{extra}")]


# -------------------------------------------------------------------- dates


def _nearest(claim: Claim, lo: dt.date) -> str:
    nearest = sorted(claim.anchors, key=lambda a: abs((a.date.lo - lo).days))
    return "; ".join(f"{a.short_title} ({a.date.human()})" for a in nearest[:2])


def _cited(src: Source, claim: Claim) -> list[tuple[Citation, Anchor]]:
    out = []
    for c in src.cites:
        a = claim.find_anchor(c.anchor)
        if a is not None:
            out.append((c, a))
    return out


def date_flags(claim: Claim) -> list[Flag]:
    flags: list[Flag] = []
    states = stating(claim)
    for src in claim.sources:
        lo, hi, approximate = parse_given_date(src.date_given)
        given = f"{src.file} dates this claim \"{src.date_given}\""
        if not states:
            flags.append(Flag("date", f"{given}, but no primary paper stating it exists, from that period "
                                      f"or any other, so nothing supports that date. Nearest primary work: "
                                      f"{_nearest(claim, lo)}."))
        elif (approximate or lo != hi) and not any(a.date.overlaps(lo, hi) for a in states):
            flags.append(Flag("date", f"{given}, but no primary paper stating it comes from that period. "
                                      f"Nearest primary work: {_nearest(claim, lo)}."))
        late = [a for a in states if a.date.lo > hi]
        late += [a for c, a in _cited(src, claim) if a.date.lo > hi and a not in late]
        for a in late:
            flags.append(Flag("date", f"{given}, but it rests on {a.short_title}, which appeared later "
                                      f"({a.date.human()})."))
        for c, a in _cited(src, claim):
            if c.date is None:
                continue
            clo, chi, _ = parse_given_date(c.date)
            if not a.date.overlaps(clo, chi):
                seen = f"; {a.date_source}" if a.date_source else ""
                flags.append(Flag("date", f"{src.file} ({c.where}) dates {a.short_title} \"{c.date}\", but it "
                                          f"is dated {a.date.human()}{seen}."))
    return flags


# ------------------------------------------------------------------ numbers


def check_numbers(claim: Claim) -> list[NumberCheck]:
    """Compare every seed number with the anchor number it names."""
    out = []
    for seed in claim.seed_numbers:
        if seed.untraceable:
            out.append(NumberCheck(seed, None, None, "untraceable"))
            continue
        if seed.compare_to is None:
            out.append(NumberCheck(seed, None, None, "unverified"))
            continue
        anchor = claim.find_anchor(seed.compare_to.anchor)
        match = None
        if anchor is not None:
            match = next((n for n in anchor.numbers
                          if n.metric == seed.compare_to.metric and n.model == seed.compare_to.model), None)
        if match is None:
            status: Status = "anchor number missing"
        elif match.change != seed.change or match.unit != seed.unit:
            status = "not comparable"
        elif match.second_hand_from:
            status = "second-hand only"
        else:
            status = "agrees" if abs(seed.value - match.value) <= seed.tolerance else "differs"
        out.append(NumberCheck(seed, anchor, match, status))
    return out


def number_flags(claim: Claim) -> list[Flag]:
    flags = []
    for chk in check_numbers(claim):
        s, p = chk.seed, chk.published
        quoted = f"{s.source} quotes {s.metric} for {s.model} as {_num(s)}"
        if s.derived:
            quoted += f" (derived: {s.derived})"
        if chk.status == "differs" and p is not None:
            flags.append(Flag("number", f"{quoted}; the primary source gives {_num(p)} ({p.where})."))
        elif chk.status == "not comparable" and p is not None:
            flags.append(Flag("number", f"{quoted}; the anchor's number is {_num(p)}, a different kind of "
                                        "quantity, so the two cannot be compared as they stand."))
        elif chk.status == "anchor number missing":
            flags.append(Flag("number", f"{quoted}; the anchor it points to records no such number."))
    untraceable: dict[str, list[SeedNumber]] = {}
    for chk in check_numbers(claim):
        if chk.status == "untraceable" and chk.seed.untraceable:
            untraceable.setdefault(chk.seed.untraceable, []).append(chk.seed)
    for why, seeds in untraceable.items():
        listed = ", ".join(f"{s.model} {_num(s)}" for s in seeds[:2]) + (", …" if len(seeds) > 2 else "")
        flags.append(Flag("number", f"{seeds[0].source} quotes {len(seeds)} number(s) ({listed}) that cannot "
                                    f"be traced to any primary source: {why}."))
    return flags


# ------------------------------------------------------------------ authors


def _fold(name: str) -> str:
    """Lower case without diacritics, for comparing surnames across spellings."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)).lower()


def named_authors(text: str) -> tuple[list[str], bool]:
    """The names a note gives ("Huang et al." -> (["Huang"], True)); bool: 'et al.' used."""
    etal = bool(re.search(r"\bet al\b\.?", text))
    text = re.sub(r"\bet al\b\.?", "", text)
    text = re.sub(r"\(\d{4}\)", "", text)
    parts = re.split(r",|\band\b|&", text)
    return [p.strip() for p in parts if p.strip()], etal


def _same_person(named: str, full: str) -> bool:
    """'Huang' or 'Gao Huang' against 'Gao Huang': surnames must match, and given names when given."""
    n, f = _fold(named).split(), _fold(full).split()
    if not n or not f or n[-1] != f[-1]:
        return False
    return len(n) == 1 or n[0].rstrip(".")[:1] == f[0][:1]


def attribution_matches(text: str, authors: list[str]) -> bool:
    """Does the note's attribution fit the anchor's author list (in order)?"""
    names, etal = named_authors(text)
    if not names or len(names) > len(authors):
        return False
    if not etal and len(names) != len(authors):
        return False
    return all(_same_person(n, a) for n, a in zip(names, authors))


def author_flags(claim: Claim) -> list[Flag]:
    flags = []
    for src in claim.sources:
        for c, a in _cited(src, claim):
            if c.authors and a.authors and not attribution_matches(c.authors, a.authors):
                first = a.authors[0] + (" et al." if len(a.authors) > 1 else "")
                flags.append(Flag("author", f"{src.file} ({c.where}) attributes {_cite_name(a)} to "
                                            f"\"{c.authors}\", but its authors are {first} "
                                            f"(from {a.authors_from})."))
    return flags


# ---------------------------------------------------------------- relations


def relation_flags(claim: Claim) -> list[Flag]:
    return [Flag("relation", f"{_cite_name(a)} is marked “{a.relation.replace('-', ' ')}” with no "
                             "justification from its abstract.")
            for a in claim.anchors if not a.justification]


def flags(claim: Claim) -> list[Flag]:
    """All provenance flags of a claim: support first, then dates, numbers, authors, relations."""
    return (source_flags(claim) + date_flags(claim) + number_flags(claim) + author_flags(claim)
            + relation_flags(claim))


# ------------------------------------------------- what was and was not checked


def checked(claim: Claim) -> list[str]:
    """What the rules could compare, so a page with no flags says what agreed."""
    out = []
    states = stating(claim)
    if states:
        out.append("the note's date against the date of "
                   + ", ".join(f"{a.short_title} ({a.date.human()})" for a in states))
    agree = [c for c in check_numbers(claim) if c.status in ("agrees", "differs")]
    if agree:
        out.append(f"{len(agree)} quoted number(s) against the primary source")
    for src in claim.sources:
        for c, a in _cited(src, claim):
            if c.authors and a.authors:
                out.append(f"the attribution \"{c.authors}\" against the authors of {_cite_name(a)}")
            if c.date:
                out.append(f"the note's date \"{c.date}\" for {a.short_title} against its own date")
    return out


def not_checked(claim: Claim) -> list[str]:
    """What could not be checked, in words: never to be read as agreement."""
    out = []
    for chk in check_numbers(claim):
        s = chk.seed
        what = f"{s.metric} for {s.model} ({_num(s)})"
        if chk.status == "unverified":
            why = (f"taken by the note from a secondary source ({s.second_hand_from})" if s.second_hand_from
                   else "no primary number to compare with")
            out.append(f"{what}: {why}")
        elif chk.status == "second-hand only" and chk.published is not None:
            out.append(f"{what}: the only counterpart is itself second-hand "
                       f"({chk.published.second_hand_from})")
    for a in claim.anchors:
        for n in a.numbers:
            if n.second_hand_from:
                out.append(f"{n.metric} for {n.model} ({_num(n)}) was not read in {_cite_name(a)}: "
                           f"second-hand, from {n.second_hand_from}")
    for src in claim.sources:
        for c, a in _cited(src, claim):
            if c.authors and not a.authors:
                out.append(f"the attribution \"{c.authors}\" ({src.file}, {c.where}): no author list is "
                           f"committed for {_cite_name(a)}")
    return out


# ------------------------------------------- cross-check against the arXiv mirror


@functools.lru_cache(maxsize=4)
def _mirror_records(snapshot: Path, ids: frozenset[str]) -> dict[str, dict]:
    """The snapshot's records for `ids`; only matching lines are parsed (a scan takes seconds)."""
    found: dict[str, dict] = {}
    opener = gzip.open if snapshot.suffix == ".gz" else open
    with opener(snapshot, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for line in fh:
            i = line.find('"id": "')
            rid = line[i + 7:line.find('"', i + 7)] if i >= 0 else None
            if rid is None:
                rid = json.loads(line).get("id") if line.strip() else None
            if rid in ids:
                found[rid] = json.loads(line)
    return found


def _norm_title(t: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", _fold(t.replace("$", ""))).strip()


def mirror_mismatches(claims: Iterable[Claim], snapshot: Path) -> tuple[list[str], int]:
    """Committed arXiv anchor metadata (title, v1 date, authors) that the mirror contradicts.

    Returns (one line per mismatch, number of anchors the mirror had). Anchors
    the mirror lacks are skipped: it is a partial snapshot, not an authority
    on absence.
    """
    from email.utils import parsedate_to_datetime

    claims = list(claims)
    anchors = [(c, a) for c in claims for a in c.anchors if a.arxiv_base]
    recs = _mirror_records(snapshot, frozenset(a.arxiv_base for _, a in anchors if a.arxiv_base))
    out, seen = [], 0
    for c, a in anchors:
        rec = recs.get(a.arxiv_base or "")
        if rec is None:
            continue
        seen += 1
        where = f"claims/{c.id}.yaml: arXiv:{a.arxiv_base}"
        if _norm_title(rec.get("title") or "") != _norm_title(a.title):
            out.append(f"{where}: title {a.title!r} differs from the mirror's {rec.get('title')!r}")
        versions = rec.get("versions") or []
        if versions and versions[0].get("created"):
            v1 = parsedate_to_datetime(versions[0]["created"]).date()
            # The mirror notes that some records carry the listing day, a few days late.
            if not a.date.overlaps(v1 - dt.timedelta(days=3), v1):
                out.append(f"{where}: date {a.date} does not fit the mirror's first version ({v1})")
        parsed = rec.get("authors_parsed") or []
        if a.authors and parsed:
            mirror = [" ".join(p for p in (x[1] if len(x) > 1 else "", x[0]) if p).strip() for x in parsed]
            if [_fold(n).split()[-1] for n in a.authors] != [_fold(n).split()[-1] for n in mirror if n]:
                out.append(f"{where}: authors {a.authors} differ from the mirror's {mirror}")
    return out, seen
