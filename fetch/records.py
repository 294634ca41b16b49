"""The paper record every backend returns, and the helpers that normalise ids.

Backends (arXiv API, offline mirror, Semantic Scholar citations) all yield
`Found` objects so ranking and the snapshot never care where a paper came from.
`abstract` is carried only in memory for scoring; `to_snapshot` drops it,
because the committed snapshot holds bibliographic facts only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

_VERSION = re.compile(r"^(?P<base>.+?)(?:v(?P<n>\d+))?$")


def split_version(arxiv_id: str) -> tuple[str, int | None]:
    """'2401.01234v3' -> ('2401.01234', 3); an id without version gives None."""
    m = _VERSION.match(arxiv_id.strip())
    assert m is not None  # the pattern matches any non-empty string
    n = m.group("n")
    return m.group("base"), (int(n) if n else None)


def abs_url(base_id: str) -> str:
    return f"https://arxiv.org/abs/{base_id}"


@dataclass
class Found:
    """One paper as a backend found it (one version of it)."""

    arxiv_id: str  # base id, no version
    version: int
    title: str
    authors: list[str]
    submitted: dt.date  # first-submitted date (v1)
    categories: list[str]
    abstract: str = ""  # for ranking only; never written to the snapshot
    bm25: float = 0.0  # higher is better (sign already flipped from SQLite's)
    origin: str = "search"  # "search" or "cites-anchor"
    matched_queries: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return abs_url(self.arxiv_id)

    def merge(self, other: "Found") -> None:
        """Fold another sighting of the same paper in: latest version, best score."""
        if other.version > self.version:
            self.version = other.version
            self.title = other.title or self.title
            self.authors = other.authors or self.authors
            self.categories = other.categories or self.categories
        self.submitted = min(self.submitted, other.submitted)
        self.abstract = self.abstract or other.abstract
        self.bm25 = max(self.bm25, other.bm25)
        for q in other.matched_queries:
            if q not in self.matched_queries:
                self.matched_queries.append(q)
        if other.origin == "search":
            self.origin = "search"


def dedupe(found: list[Found]) -> dict[str, Found]:
    """Key sightings by base arXiv id, merging versions and repeated hits."""
    out: dict[str, Found] = {}
    for f in found:
        if f.arxiv_id in out:
            out[f.arxiv_id].merge(f)
        else:
            out[f.arxiv_id] = f
    return out
