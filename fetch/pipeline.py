"""One fetch over the claims: search, dedupe, score what is new, merge, keep the top N.

Incremental by construction (see fetch/README.md, "Incremental fetching"):

* mirror mode: if a claim's entry was made from the same mirror snapshot
  (sha256) with the same queries/categories/since/statement (fingerprint),
  there is nothing new and the claim is skipped without any search or model;
* live mode: the arXiv window starts a week before the last live fetch;
* in both, papers already in `seen` are not rescored; new ones are scored
  once, merged with the kept candidates, and the top N kept. The first-seen
  date of a paper never changes; its version is the latest seen.

Claims are fetched one by one. A claim that fails keeps its last good entry
and is reported; the snapshot file is rewritten only after all claims ran, and
atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from codegap.claims import Claim

from . import rank
from .query import ParsedQuery, parse_query
from .records import Found, dedupe
from .snapshot import (
    SNAPSHOT_PATH,
    AnchorInfo,
    Candidate,
    ClaimEntry,
    Source,
    read_snapshot,
    write_snapshot,
)

log = logging.getLogger(__name__)

RANKING_VERSION = 2  # part of the fingerprint: bump when scoring changes
LIVE_OVERLAP = dt.timedelta(days=7)


class SearchBackend(Protocol):
    def search(self, query: ParsedQuery, *, since: dt.date, until: dt.date, categories: list[str],
               query_index: int = 0) -> list[Found]: ...


@dataclass
class FetchOptions:
    mode: Literal["mirror", "live"] = "mirror"
    top_n: int = 25
    per_query: int = 100
    rerank_n: int = rank.RERANK_N
    mirror_path: Path | None = None
    cache_dir: Path | None = None
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())
    use_s2: bool = True


@dataclass
class ClaimOutcome:
    claim_id: str
    status: Literal["updated", "unchanged", "failed"]
    retrieved: int = 0
    added: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class FetchReport:
    outcomes: list[ClaimOutcome]
    wrote: bool
    source: str
    seconds: float
    mirror_build_seconds: float | None = None

    @property
    def failed(self) -> list[ClaimOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def fingerprint(claim: Claim) -> str:
    lit = claim.literature
    blob = json.dumps(
        {"q": list(lit.queries), "c": list(lit.categories), "s": lit.since.isoformat(),
         "t": claim.statement, "r": RANKING_VERSION},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _score_new(
    claim: Claim, queries: list[ParsedQuery], new: list[Found], pool: list[Found], need_bm25: bool,
    rerank_n: int,
) -> list[tuple[Found, float]]:
    """Semantic scores for the BM25 shortlist of `new`; BM25 first when the backend gave none (live)."""
    if need_bm25:
        scores = dict(zip((f.arxiv_id for f in pool), rank.pool_bm25(queries, pool), strict=False))
        for f in new:
            f.bm25 = scores[f.arxiv_id]
    short = rank.shortlist(new, rerank_n)
    return list(zip(short, rank.semantic_scores(claim.statement, short), strict=False))


def merge_candidates(
    old: list[Candidate], scored_new: list[tuple[Found, float]], refreshed: dict[str, Found],
    first_seen: dict[str, dt.date], top_n: int,
) -> list[Candidate]:
    """Old candidates (updated to newer versions) + newly scored ones, re-ranked, top N."""
    pool: dict[str, Candidate] = {}
    for c in old:
        f = refreshed.get(c.arxiv_id)
        if f is not None and f.version > c.version:
            c = c.model_copy(update={"version": f.version, "title": f.title or c.title,
                                     "authors": f.authors or c.authors})
        pool[c.arxiv_id] = c
    for f, sem in scored_new:
        pool[f.arxiv_id] = Candidate(
            arxiv_id=f.arxiv_id, version=f.version, title=f.title, authors=f.authors,
            submitted=f.submitted, categories=f.categories, url=f.url, bm25=round(f.bm25, 4),
            semantic=round(sem, 4), combined=0.0, first_seen=first_seen[f.arxiv_id],
            origin="cites-anchor" if f.origin == "cites-anchor" else "search",
            queries=sorted(f.matched_queries),
        )
    bmax = max((c.bm25 for c in pool.values()), default=0.0)
    ranked = [c.model_copy(update={"combined": rank.combined(c.bm25, c.semantic, bmax)}) for c in pool.values()]
    ranked.sort(key=lambda c: (-c.combined, c.arxiv_id))
    return ranked[:top_n]


def _anchors(claim: Claim, s2, since: dt.date) -> tuple[list[AnchorInfo], list[Found]]:
    infos, citing = [], []
    for a in claim.anchors:
        if s2 is None:
            infos.append(AnchorInfo(key=a.key, title=a.title,
                                    note="citation counts come from Semantic Scholar in a live fetch"))
            continue
        info, found = s2.anchor(a.arxiv_base, since, a.title)
        citing.extend(found)
        infos.append(AnchorInfo(key=a.key, title=a.title, citation_count=info.citation_count,
                                citing_since=info.citing_since, s2_paper_id=info.paper_id, note=info.note))
    return infos, citing


def fetch_claim(
    claim: Claim, prev: ClaimEntry | None, backend: SearchBackend, source: Source,
    opts: FetchOptions, s2=None,
) -> tuple[ClaimEntry | None, ClaimOutcome]:
    """Fetch one claim. Returns (new entry or None if unchanged, outcome)."""
    t0 = time.perf_counter()
    fp = fingerprint(claim)
    since = claim.literature.since
    same_claim = prev is not None and prev.fingerprint == fp
    if opts.mode == "mirror" and same_claim and prev.source == source:
        return None, ClaimOutcome(claim.id, "unchanged", seconds=time.perf_counter() - t0)
    start = since
    if opts.mode == "live" and same_claim and prev.source.kind == "live":
        start = max(since, prev.until - LIVE_OVERLAP)
    queries = [parse_query(q) for q in claim.literature.queries]
    hits: list[Found] = []
    for i, q in enumerate(queries):
        hits += backend.search(q, since=start, until=opts.today, categories=list(claim.literature.categories),
                               query_index=i)
    if opts.mode == "live":
        anchors, citing = _anchors(claim, s2, since)
    else:  # offline: keep counts from the last live fetch, if any
        anchors = prev.anchors if prev is not None else _anchors(claim, None, since)[0]
        citing = []
    # Newer work only: first submitted on/after `since` and not one of the claim's own anchors.
    own = {a.arxiv_base for a in claim.anchors if a.arxiv_base}
    found = dedupe([f for f in hits + citing if since <= f.submitted <= opts.today and f.arxiv_id not in own])
    seen = dict(prev.seen) if prev is not None else {}
    added = sum(1 for aid in found if aid not in seen)
    if same_claim:  # score only papers never seen before
        old = prev.candidates
        fresh = [f for f in found.values() if f.arxiv_id not in seen]
    else:  # new claim, or its queries/statement/ranking changed: rescore all retrieved
        old, fresh = [], list(found.values())
    for f in fresh:
        seen.setdefault(f.arxiv_id, opts.today)
    scored = _score_new(claim, queries, fresh, list(found.values()), need_bm25=opts.mode == "live",
                        rerank_n=opts.rerank_n) if fresh else []
    cands = merge_candidates(old, scored, found, seen, opts.top_n)
    entry = ClaimEntry(
        fetched_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0), source=source, since=since,
        until=opts.today, fingerprint=fp, retrieved=len(found), added=added, candidates=cands,
        seen=dict(sorted(seen.items())), anchors=anchors,
    )
    return entry, ClaimOutcome(claim.id, "updated", len(found), added, time.perf_counter() - t0)


def run_fetch(
    root: Path, claims: list[Claim], backend: SearchBackend, source: Source, opts: FetchOptions,
    s2=None, mirror_build_seconds: float | None = None,
) -> FetchReport:
    """Fetch every claim, then write the snapshot once (atomically) if anything changed."""
    t0 = time.perf_counter()
    path = root / SNAPSHOT_PATH
    snap = read_snapshot(path)
    outcomes: list[ClaimOutcome] = []
    changed = False
    for claim in claims:
        try:
            entry, outcome = fetch_claim(claim, snap.claims.get(claim.id), backend, source, opts, s2)
        except Exception as exc:  # noqa: BLE001 - reported per claim; the last good entry stays
            log.error("fetch failed for claim %s: %s", claim.id, exc)
            outcomes.append(ClaimOutcome(claim.id, "failed", error=f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(outcome)
        if entry is not None:
            snap.claims[claim.id] = entry
            changed = True
    if changed:
        snap.updated_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        snap.claims = dict(sorted(snap.claims.items()))
        write_snapshot(path, snap)
    return FetchReport(outcomes, changed, source.describe(), time.perf_counter() - t0, mirror_build_seconds)
