"""Maintainers' stances on candidate papers, and the literature flag derived from them.

Reviews live in `literature/reviews.yaml`, one record per (claim, paper):

    reviews:
      - claim: iterative-execution
        arxiv: "2604.03253"          # base id, quoted so YAML keeps it a string
        stance: qualifies            # supports | challenges | qualifies | irrelevant
        reason: "One line: why."
        reviewed: 2026-11-22
        title: "Self-Execution Simulation Improves Coding Models"   # optional
        reviewer: maintainer         # optional: who judged
        basis: abstract              # optional: what was read (abstract | full text)

Model-suggested stances, if any, live elsewhere and never count here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from codegap.atomic import replace as write_atomic

REVIEWS_PATH = Path("literature") / "reviews.yaml"
STANCES: tuple[str, ...] = ("supports", "challenges", "qualifies", "irrelevant")
Stance = Literal["supports", "challenges", "qualifies", "irrelevant"]
BASE_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7})$")


class ReviewsError(Exception):
    """reviews.yaml is invalid; the message names the file, the record and the field."""


def normalise_id(arxiv_id: str) -> str:
    """'arXiv:2401.01234v2' or a URL -> '2401.01234'; raises ValueError if not an arXiv id."""
    s = arxiv_id.strip()
    s = re.sub(r"^(https?://arxiv\.org/(abs|pdf)/|arxiv:)", "", s, flags=re.I)
    s = re.sub(r"(v\d+)?(\.pdf)?$", "", s)
    if not BASE_ID.match(s):
        raise ValueError(f"{arxiv_id!r} is not an arXiv id (e.g. 2401.01234)")
    return s


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: str = Field(min_length=1)
    arxiv: str
    stance: Stance
    reason: str = Field(min_length=1)
    reviewed: dt.date
    title: str | None = None
    reviewer: str | None = None
    basis: Literal["abstract", "full text"] | None = None

    @field_validator("arxiv", mode="before")
    @classmethod
    def _id(cls, v: object) -> str:
        if not isinstance(v, str):
            raise ValueError(f"must be a quoted string, got {type(v).__name__} {v!r} (quote it: \"{v}\")")
        return normalise_id(v)

    @field_validator("reason")
    @classmethod
    def _one_line(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("reason is empty")
        return v


def read_review_list(path: Path) -> list[Review]:
    """All records in file order; raises ReviewsError naming record and field."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ReviewsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("reviews", []), list):
        raise ReviewsError(f"{path}: expected a mapping with a 'reviews' list")
    out: list[Review] = []
    seen: set[tuple[str, str]] = set()
    for i, rec in enumerate(data.get("reviews") or []):
        try:
            r = Review.model_validate(rec)
        except ValidationError as err:
            e = err.errors()[0]
            field = ".".join(str(x) for x in e["loc"]) or "(record)"
            raise ReviewsError(f"{path}: reviews[{i}].{field}: {e['msg'].removeprefix('Value error, ')}") from err
        if (r.claim, r.arxiv) in seen:
            raise ReviewsError(f"{path}: reviews[{i}]: second review of {r.arxiv} for claim {r.claim!r}")
        seen.add((r.claim, r.arxiv))
        out.append(r)
    return out


def load_reviews(path: Path, known_claims: set[str] | None = None) -> dict[str, dict[str, Review]]:
    """Reviews as {claim id: {arxiv id: Review}}; unknown claim ids are errors when known_claims given."""
    out: dict[str, dict[str, Review]] = {}
    for i, r in enumerate(read_review_list(path)):
        if known_claims is not None and r.claim not in known_claims:
            raise ReviewsError(f"{path}: reviews[{i}].claim: no claim {r.claim!r} in claims/")
        out.setdefault(r.claim, {})[r.arxiv] = r
    return out


def write_reviews(path: Path, reviews: list[Review]) -> None:
    """Write all reviews, sorted by claim then id, atomically."""
    recs = []
    for r in sorted(reviews, key=lambda r: (r.claim, r.arxiv)):
        d = r.model_dump(exclude_none=True)  # python mode: dates stay YAML dates
        recs.append(d)
    header = "# Maintainers' stances on newer papers; written by `codegap review`, format in fetch/README.md\n"
    write_atomic(path, header + yaml.safe_dump({"reviews": recs}, sort_keys=False, allow_unicode=True, width=100))


def record_review(
    path: Path, claim: str, arxiv_id: str, stance: str, reason: str,
    today: dt.date | None = None, title: str | None = None, reviewer: str | None = None,
    basis: str | None = None,
) -> Review:
    """Add or replace the review of one paper for one claim."""
    new = Review(claim=claim, arxiv=arxiv_id, stance=stance, reason=reason,
                 reviewed=today or dt.date.today(), title=title, reviewer=reviewer, basis=basis)
    kept = [r for r in read_review_list(path) if (r.claim, r.arxiv) != (new.claim, new.arxiv)]
    write_reviews(path, kept + [new])
    return new


def _papers(n: int) -> str:
    return f"{n} newer paper" + ("" if n == 1 else "s")


#: The flag rule as data, in the order it is applied: (condition, level, text).
#: The book's methods page prints this table; `flag_for` applies it.
FLAG_RULE: tuple[tuple[str, str, str], ...] = (
    ("nothing fetched for the claim", "not-fetched", "literature not fetched"),
    ("at least one paper reviewed as challenges", "challenged",
     "challenged by N newer paper(s), with \", qualified by M\" appended when M > 0 are reviewed as qualifies"),
    ("otherwise, at least one reviewed as qualifies", "qualified", "qualified by M newer paper(s)"),
    ("otherwise, at least one reviewed as supports", "supported", "supported by K newer paper(s), none challenge it"),
    ("otherwise", "unreviewed", "no reviewed newer work (U unreviewed candidates)"),
)
FLAG_NOTE = ("Reviews of irrelevant papers never change the flag, and neither do unreviewed candidates "
             "or model-suggested stances: only a maintainer's stance moves a claim off \"no reviewed newer work\".")


def flag_for(counts: dict[str, int], fetched: bool) -> tuple[str, str]:
    """The literature flag: (level, text). The rule, in order:

    1. nothing fetched for the claim           -> not-fetched, "literature not fetched"
    2. at least one reviewed `challenges`      -> challenged, "challenged by N newer paper(s)"
       (", qualified by M" appended when M > 0)
    3. else at least one `qualifies`           -> qualified, "qualified by M newer paper(s)"
    4. else at least one `supports`            -> supported, "supported by K newer paper(s), none challenge it"
    5. else                                    -> unreviewed, "no reviewed newer work (U unreviewed candidates)"

    `irrelevant` reviews never change the flag. Unreviewed candidates never do either:
    only a maintainer's stance moves a claim off "unreviewed".
    """
    if not fetched and not any(counts.get(s, 0) for s in STANCES):
        return "not-fetched", "literature not fetched"
    ch, qu, su = counts.get("challenges", 0), counts.get("qualifies", 0), counts.get("supports", 0)
    if ch:
        return "challenged", f"challenged by {_papers(ch)}" + (f", qualified by {qu}" if qu else "")
    if qu:
        return "qualified", f"qualified by {_papers(qu)}"
    if su:
        return "supported", f"supported by {_papers(su)}, none challenge it"
    u = counts.get("unreviewed", 0)
    return "unreviewed", f"no reviewed newer work ({u} unreviewed candidate{'' if u == 1 else 's'})"
