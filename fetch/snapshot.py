"""The committed literature snapshot: its format, and reading and writing it atomically.

`literature/snapshot.json` holds, per claim, the ranked candidates of the last
successful fetch (bibliographic facts and ranking evidence only, never
abstracts), every arXiv id ever kept for the claim with the date it was first
kept (so first-seen dates survive re-ranking), the anchors' citation counts,
which lists were fused, and where the data came from. It is only ever
replaced whole, through a temporary file and an atomic rename, so a crash or
a failed fetch leaves the last good snapshot in place.

The book's view of it (with reviews and suggestions) is `fetch.view`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from codegap.atomic import replace as write_atomic

SNAPSHOT_FORMAT = 2
SNAPSHOT_PATH = Path("literature") / "snapshot.json"

__all__ = ["SNAPSHOT_FORMAT", "SNAPSHOT_PATH", "AnchorInfo", "Candidate", "ClaimEntry", "ListInfo", "Snapshot",
           "SnapshotError", "Source", "read_snapshot", "write_atomic", "write_snapshot"]


class SnapshotError(Exception):
    """The snapshot file is unreadable or invalid; the message names file and field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


ARXIV_BASE = r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7})$"


class Candidate(_Model):
    arxiv_id: str = Field(pattern=ARXIV_BASE, description="base id, no version")
    version: int = Field(ge=1, description="latest version seen")
    title: str
    authors: list[str]
    submitted: dt.date = Field(description="first-submitted (v1) date")
    categories: list[str]
    url: str
    score: float = Field(description="reciprocal-rank fusion score over the claim's lists")
    dense: float | None = Field(default=None, description="mean cosine similarity to statement, queries, anchors")
    ranks: dict[str, int] = Field(default_factory=dict, description="list name -> 1-based rank in that list")
    first_seen: dt.date = Field(description="date the paper was first kept among the claim's candidates")
    origin: Literal["search", "cites-anchor"] = "search"
    queries: list[int] = Field(default_factory=list, description="indexes of the claim queries whose quorum it met")


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
    counted_on: dt.date | None = Field(default=None, description="date of the live fetch that gave the counts")
    note: str = ""


class ListInfo(_Model):
    """One ranked list that was fused for a claim (provenance of the ranks)."""

    name: str
    kind: Literal["quorum", "or", "title", "citers", "dense"]
    size: int = Field(ge=0)
    terms: list[str] = Field(default_factory=list, description="the words (OR list) or terms and phrases (quorum list) searched")


class ClaimEntry(_Model):
    fetched_at: dt.datetime
    source: Source
    since: dt.date
    until: dt.date = Field(description="end of the searched window; a live fetch resumes a week before it")
    fingerprint: str = Field(description="hash of the claim's queries, categories, since, statement, anchors")
    retrieved: int = Field(ge=0, description="papers in the fused pool of the last fetch")
    added: int = Field(ge=0, description="candidates kept for the first time by the last fetch")
    candidates: list[Candidate]
    seen: dict[str, dt.date] = Field(description="every arXiv id ever kept for the claim -> first kept")
    anchors: list[AnchorInfo] = Field(default_factory=list)
    lists: list[ListInfo] = Field(default_factory=list)


class Snapshot(_Model):
    format: Literal[2] = SNAPSHOT_FORMAT
    updated_at: dt.datetime | None = None
    claims: dict[str, ClaimEntry] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """Read format 1 (BM25 + semantic + combined scores) as format 2."""
        if not isinstance(data, dict) or data.get("format") != 1:
            return data
        claims = {}
        for cid, e in (data.get("claims") or {}).items():
            if not isinstance(e, dict):
                claims[cid] = e
                continue
            cands = []
            for c in e.get("candidates") or []:
                if isinstance(c, dict):
                    c = dict(c)
                    c["score"] = c.pop("combined", 0.0)
                    c["dense"] = c.pop("semantic", None)
                    c.pop("bm25", None)
                cands.append(c)
            kept = {c.get("arxiv_id") for c in cands if isinstance(c, dict)}
            seen = {k: v for k, v in (e.get("seen") or {}).items() if k in kept}
            claims[cid] = {**e, "candidates": cands, "seen": seen}
        return {**data, "format": 2, "claims": claims}


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot at `path`, or an empty one if the file does not exist."""
    if not path.exists():
        return Snapshot()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot be read ({exc})") from exc
    try:
        return Snapshot.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise SnapshotError(f"{path}: {where}: {first['msg']} ({err.error_count()} problem(s))") from err


def write_snapshot(path: Path, snap: Snapshot) -> None:
    data = snap.model_dump(mode="json")
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
