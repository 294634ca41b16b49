"""What the book shows about newer work: snapshot + maintainers' reviews + model suggestions.

`load_for_book(root)` is the one entry point the book uses. It reads, never
writes. Stances and counts come from the maintainers' reviews only; model
suggestions ride along labelled as such and never change a count or a flag.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .snapshot import SNAPSHOT_PATH, Candidate, ClaimEntry, read_snapshot
from .suggestions import SUGGESTIONS_PATH, read_suggestions
from .triage import REVIEWS_PATH, STANCES, Review, flag_for, load_reviews


@dataclass(frozen=True)
class PaperView:
    """One paper as a claim page shows it."""

    arxiv_id: str
    version: int | None
    title: str
    authors: list[str]
    submitted: dt.date | None
    categories: list[str]
    url: str
    score: float | None  # fused (reciprocal-rank) score
    dense: float | None  # mean cosine similarity to the claim's texts
    ranks: dict[str, int]  # list name -> rank in that list
    first_seen: dt.date | None
    rank: int | None  # 1-based position among the ranked candidates; None if outside them
    stance: str  # one of STANCES or "unreviewed"
    reason: str | None
    reviewed_on: dt.date | None
    reviewer: str | None = None
    # A model's suggested stance (literature/suggestions.yaml): shown labelled as a
    # suggestion, never counted. None when no model was asked.
    suggested_stance: str | None = None
    suggested_reason: str | None = None
    suggested_by: str | None = None


@dataclass(frozen=True)
class AnchorView:
    key: str
    title: str
    citation_count: int | None
    citing_since: int | None
    note: str
    counted_on: dt.date | None = None


@dataclass(frozen=True)
class ListView:
    """One ranked list that was fused for the claim (how its candidates were found)."""

    name: str
    kind: str
    size: int
    terms: list[str]


@dataclass(frozen=True)
class ClaimLiterature:
    """Everything the book needs about newer work for one claim."""

    claim_id: str
    fetched: bool
    since: dt.date
    fetched_at: dt.datetime | None = None
    source: str = "not fetched"
    source_kind: str | None = None
    snapshot_sha256: str | None = None
    candidates: list[PaperView] = field(default_factory=list)  # ranked, best first
    reviewed: list[PaperView] = field(default_factory=list)  # every reviewed paper, best first
    counts: dict[str, int] = field(default_factory=dict)  # STANCES + "unreviewed"
    anchors: list[AnchorView] = field(default_factory=list)
    lists: list[ListView] = field(default_factory=list)
    retrieved: int = 0  # size of the pool the lists were fused over
    flag: str = ""
    flag_level: str = ""
    note: str = ""

    @property
    def unreviewed(self) -> list[PaperView]:
        return [p for p in self.candidates if p.stance == "unreviewed"]

    def top(self, n: int = 20) -> list[PaperView]:
        """The n best-ranked candidates, reviewed or not."""
        return self.candidates[:n]


def _view(c: Candidate | None, rank: int | None, review: Review | None, arxiv_id: str) -> PaperView:
    return PaperView(
        arxiv_id=arxiv_id,
        version=c.version if c else None,
        title=(c.title if c else (review.title if review and review.title else "")),
        authors=c.authors if c else [],
        submitted=c.submitted if c else None,
        categories=c.categories if c else [],
        url=c.url if c else f"https://arxiv.org/abs/{arxiv_id}",
        score=c.score if c else None,
        dense=c.dense if c else None,
        ranks=dict(c.ranks) if c else {},
        first_seen=c.first_seen if c else None,
        rank=rank,
        stance=review.stance if review else "unreviewed",
        reason=review.reason if review else None,
        reviewed_on=review.reviewed if review else None,
        reviewer=review.reviewer if review else None,
    )


def claim_view(
    claim_id: str, since: dt.date, entry: ClaimEntry | None, reviews: dict[str, Review],
    suggestions: dict[str, tuple[str, str, str]] | None = None,
) -> ClaimLiterature:
    """Combine one claim's snapshot entry with its reviews (keyed by arXiv id) and suggestions."""
    ranked = entry.candidates if entry else []
    by_id = {c.arxiv_id: c for c in ranked}
    sugg = suggestions or {}
    cands = [_view(c, i + 1, reviews.get(c.arxiv_id), c.arxiv_id) for i, c in enumerate(ranked)]
    cands = [replace(v, suggested_stance=sugg[v.arxiv_id][0], suggested_reason=sugg[v.arxiv_id][1],
                     suggested_by=sugg[v.arxiv_id][2]) if v.arxiv_id in sugg else v for v in cands]
    reviewed = [v for v in cands if v.stance != "unreviewed"]
    reviewed += [_view(None, None, r, aid) for aid, r in sorted(reviews.items()) if aid not in by_id]
    counts = Counter({s: 0 for s in STANCES})
    counts.update(r.stance for r in reviews.values())
    counts["unreviewed"] = sum(1 for v in cands if v.stance == "unreviewed")
    level, text = flag_for(dict(counts), fetched=entry is not None)
    if entry is None:
        return ClaimLiterature(
            claim_id=claim_id, fetched=False, since=since, reviewed=reviewed, counts=dict(counts),
            flag=text, flag_level=level,
            note="No literature has been fetched for this claim yet (run `codegap fetch`).",
        )
    return ClaimLiterature(
        claim_id=claim_id, fetched=True, since=entry.since, fetched_at=entry.fetched_at,
        source=entry.source.describe(), source_kind=entry.source.kind,
        snapshot_sha256=entry.source.snapshot_sha256, candidates=cands, reviewed=reviewed,
        counts=dict(counts),
        anchors=[AnchorView(a.key, a.title, a.citation_count, a.citing_since, a.note, a.counted_on)
                 for a in entry.anchors],
        lists=[ListView(li.name, li.kind, li.size, list(li.terms)) for li in entry.lists],
        retrieved=entry.retrieved,
        flag=text, flag_level=level,
        note="" if ranked else "The last fetch found no newer papers matching this claim's queries.",
    )


def load_for_book(root: Path) -> dict[str, ClaimLiterature]:
    """Per claim id (every claim in `root/claims`), what the book shows about newer work."""
    from codegap.claims import load_claims

    claims = load_claims(root / "claims")
    snap = read_snapshot(root / SNAPSHOT_PATH)
    reviews = load_reviews(root / REVIEWS_PATH, {c.id for c in claims})
    suggestions: dict[str, dict[str, tuple[str, str, str]]] = {}
    for s in read_suggestions(root / SUGGESTIONS_PATH):  # later records win
        suggestions.setdefault(s.claim, {})[s.arxiv] = (s.stance, s.reason, s.model)
    out: dict[str, ClaimLiterature] = {}
    for claim in claims:
        out[claim.id] = claim_view(
            claim.id, claim.literature.since, snap.claims.get(claim.id), reviews.get(claim.id, {}),
            suggestions.get(claim.id),
        )
    return out
