"""The committed literature snapshot: format, atomic writes, and the book's view of it.

`literature/snapshot.json` holds, per claim, the ranked candidates of the last
successful fetch (bibliographic facts and scores only, never abstracts), every
arXiv id ever seen for the claim with its first-seen date (so fetches are
incremental), the anchors' citation counts, and where the data came from.
It is only ever replaced whole, through a temporary file and an atomic rename,
so a crash or a failed fetch leaves the last good snapshot in place.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .triage import STANCES, Review, flag_for, load_reviews

SNAPSHOT_FORMAT = 1
SNAPSHOT_PATH = Path("literature") / "snapshot.json"


class SnapshotError(Exception):
    """The snapshot file is unreadable or invalid; the message names file and field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Candidate(_Model):
    arxiv_id: str = Field(description="base id, no version")
    version: int = Field(ge=1, description="latest version seen")
    title: str
    authors: list[str]
    submitted: dt.date = Field(description="first-submitted (v1) date")
    categories: list[str]
    url: str
    bm25: float
    semantic: float
    combined: float
    first_seen: dt.date
    origin: Literal["search", "cites-anchor"] = "search"
    queries: list[int] = Field(default_factory=list, description="indexes of the claim queries it matched")


class Source(_Model):
    kind: Literal["mirror", "live"]
    snapshot_file: str | None = None
    snapshot_sha256: str | None = None
    arxiv_url: str | None = None
    s2_url: str | None = None

    def describe(self) -> str:
        if self.kind == "mirror":
            return f"offline arXiv mirror {self.snapshot_file} (sha256 {self.snapshot_sha256})"
        s2 = f" and Semantic Scholar ({self.s2_url})" if self.s2_url else ""
        return f"live arXiv API ({self.arxiv_url}){s2}"


class AnchorInfo(_Model):
    key: str
    title: str
    citation_count: int | None = None
    citing_since: int | None = None
    s2_paper_id: str | None = None
    note: str = ""


class ClaimEntry(_Model):
    fetched_at: dt.datetime
    source: Source
    since: dt.date
    until: dt.date
    fingerprint: str = Field(description="hash of the claim's queries, categories, since and statement")
    retrieved: int = Field(ge=0, description="papers the last fetch returned (after dedupe)")
    added: int = Field(ge=0, description="of those, not seen before")
    candidates: list[Candidate]
    seen: dict[str, dt.date] = Field(description="every arXiv id ever seen for the claim -> first seen")
    anchors: list[AnchorInfo] = Field(default_factory=list)


class Snapshot(_Model):
    format: Literal[1] = SNAPSHOT_FORMAT
    updated_at: dt.datetime | None = None
    claims: dict[str, ClaimEntry] = Field(default_factory=dict)


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot at `path`, or an empty one if the file does not exist."""
    if not path.exists():
        return Snapshot()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    try:
        return Snapshot.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise SnapshotError(f"{path}: {where}: {first['msg']} ({err.error_count()} problem(s))") from err


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` all at once: temp file in the same folder, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a committed file should be ordinary
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_snapshot(path: Path, snap: Snapshot) -> None:
    data = snap.model_dump(mode="json")
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- book view


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
    bm25: float | None
    semantic: float | None
    combined: float | None
    first_seen: dt.date | None
    rank: int | None  # 1-based position among the ranked candidates; None if outside them
    stance: str  # one of STANCES or "unreviewed"
    reason: str | None
    reviewed_on: dt.date | None
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
    flag: str = ""
    flag_level: str = ""
    note: str = ""

    @property
    def unreviewed(self) -> list[PaperView]:
        return [p for p in self.candidates if p.stance == "unreviewed"]


def _view(c: Candidate | None, rank: int | None, review: Review | None, arxiv_id: str) -> PaperView:
    return PaperView(
        arxiv_id=arxiv_id,
        version=c.version if c else None,
        title=(c.title if c else (review.title if review and review.title else "")),
        authors=c.authors if c else [],
        submitted=c.submitted if c else None,
        categories=c.categories if c else [],
        url=c.url if c else f"https://arxiv.org/abs/{arxiv_id}",
        bm25=c.bm25 if c else None,
        semantic=c.semantic if c else None,
        combined=c.combined if c else None,
        first_seen=c.first_seen if c else None,
        rank=rank,
        stance=review.stance if review else "unreviewed",
        reason=review.reason if review else None,
        reviewed_on=review.reviewed if review else None,
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
        anchors=[AnchorView(a.key, a.title, a.citation_count, a.citing_since, a.note) for a in entry.anchors],
        flag=text, flag_level=level,
        note="" if ranked else "The last fetch found no newer papers matching this claim's queries.",
    )


def load_for_book(root: Path) -> dict[str, ClaimLiterature]:
    """Per claim id (every claim in `root/claims`), what the book shows about newer work."""
    from codegap.claims import load_claims

    from .suggest import SUGGESTIONS_PATH, read_suggestions

    claims = load_claims(root / "claims")
    snap = read_snapshot(root / SNAPSHOT_PATH)
    reviews = load_reviews(root / "literature" / "reviews.yaml", {c.id for c in claims})
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
