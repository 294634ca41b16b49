"""One fetch over the claims: gather ranked lists, pool them, embed, fuse by rank, keep the top N.

Per claim (rules in fetch/README.md and `fetch.rank.RULE`):

1. the anchors' own titles and abstracts are looked up (mirror or arXiv);
2. lexical lists are searched: each query under the quorum rule, OR lists
   of the words of each query, the statement, and each anchor's title and
   abstract, and title-only lists of the words of each query and the
   statement; in live mode also the anchors' newer citers on Semantic Scholar,
   and the previously kept candidates are looked up again so they stay in
   the pool;
3. the pool (union of the lists) is embedded, with vectors cached on disk by
   arXiv id and version, and ranked by similarity to the claim's texts: the
   dense lists (mean over all texts; the statement; the closest query; the
   closest anchor);
4. all lists are fused by reciprocal rank and the best N kept.

Incremental by construction: in mirror mode a claim whose fingerprint and
mirror snapshot are unchanged is skipped without searching or loading the
model; otherwise re-ranking is cheap because only papers never embedded are
embedded. In live mode the arXiv window starts a week before the last live
fetch, and the window only moves forward when every answer looked sound.

Claims are fetched one by one. A claim that fails keeps its last good entry
and is reported; the snapshot file is rewritten only after all claims ran,
and atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, Protocol

from codegap.claims import Claim

from . import rank
from .embed import EmbeddingStore
from .proposals import Proposal, propose
from .query import ParsedQuery
from .records import Found, dedupe
from .triage import REVIEWS_PATH, load_reviews
from .snapshot import (
    SNAPSHOT_PATH,
    AnchorInfo,
    Candidate,
    ClaimEntry,
    ListInfo,
    Source,
    read_snapshot,
    write_snapshot,
)

log = logging.getLogger(__name__)

RANKING_VERSION = 4  # part of the fingerprint: bump when ranking changes (4: title and several dense lists)
LIVE_OVERLAP = dt.timedelta(days=7)
TOP_N = 50


class SuspiciousAnswer(Exception):
    """A live answer looked wrong (e.g. nothing at all came back); the window must not move."""


class SearchBackend(Protocol):
    #: True when lists come ranked with corpus-wide BM25 (mirror); False when the
    #: pipeline must rank them over the retrieved pool (live API).
    ranks_lists: bool

    def search(self, query: ParsedQuery, *, since: dt.date, until: dt.date, categories: list[str],
               query_index: int = 0, limit: int = rank.QUORUM_CAP) -> list[Found]: ...

    def search_or(self, terms: tuple[str, ...], *, since: dt.date, until: dt.date, categories: list[str],
                  limit: int = rank.OR_CAP) -> list[Found]: ...

    def search_title(self, terms: tuple[str, ...], *, since: dt.date, until: dt.date, categories: list[str],
                     limit: int = rank.TITLE_CAP) -> list[Found]: ...

    def lookup(self, ids: list[str]) -> dict[str, Found]: ...


@dataclass
class FetchOptions:
    mode: Literal["mirror", "live"] = "mirror"
    top_n: int = TOP_N
    quorum_cap: int = rank.QUORUM_CAP
    or_cap: int = rank.OR_CAP
    title_cap: int = rank.TITLE_CAP
    rrf_k: int = rank.RRF_K
    mirror_path: Path | None = None
    cache_dir: Path | None = None  # embeddings cache folder (default: fetch.embed.default_cache_dir())
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())
    use_s2: bool = True
    progress: Callable[[str], None] | None = None  # one line per step of a long fetch
    force: bool = False  # re-rank even a claim whose fingerprint and mirror are unchanged
    relevant: dict[str, set[str]] = field(default_factory=dict)  # claim -> ids reviewed as relevant


@dataclass
class ClaimOutcome:
    claim_id: str
    status: Literal["updated", "unchanged", "failed"]
    retrieved: int = 0
    added: int = 0
    embedded: int = 0  # vectors computed (not found in the cache)
    seconds: float = 0.0
    error: str = ""
    proposals: list[Proposal] | None = None  # None when the claim was not ranked


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

    @property
    def embedded(self) -> int:
        return sum(o.embedded for o in self.outcomes)


@dataclass
class Ranked:
    """The result of ranking one claim's pool (also used by the relevance benchmark)."""

    candidates: list[tuple[Found, float, float, dict[str, int]]]  # (paper, fused score, dense, ranks), best first
    lists: list[ListInfo]
    pool: int
    anchors_text: list[rank.AnchorText]
    papers: list[Found]  # the pool, with abstracts (in memory only)


def fingerprint(claim: Claim) -> str:
    lit = claim.literature
    blob = json.dumps(
        {"q": list(lit.queries), "c": list(lit.categories), "s": lit.since.isoformat(),
         "t": claim.statement, "a": [[a.key, a.title] for a in claim.anchors], "r": RANKING_VERSION},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def anchor_texts(claim: Claim, backend: SearchBackend) -> list[rank.AnchorText]:
    """Each anchor's title, and its abstract when the backend has the paper (else "")."""
    ids = [a.arxiv_base for a in claim.anchors if a.arxiv_base]
    found = backend.lookup(ids) if ids else {}
    out = []
    for a in claim.anchors:
        f = found.get(a.arxiv_base) if a.arxiv_base else None
        out.append(rank.AnchorText(key=a.key, title=a.title, abstract=f.abstract if f else ""))
    return out


def rank_claim(
    claim: Claim, backend: SearchBackend, *, start: dt.date, today: dt.date, store: EmbeddingStore,
    citers: list[Found] | None = None, extra: list[Found] | None = None, opts: FetchOptions | None = None,
) -> Ranked:
    """Search every list of one claim, pool, embed, fuse; best first (see module doc)."""
    opts = opts or FetchOptions(today=today)
    say = opts.progress or (lambda _msg: None)
    lit = claim.literature
    since, cats = lit.since, list(lit.categories)
    anchors = anchor_texts(claim, backend)
    specs = rank.list_specs(lit.queries, claim.statement, anchors)
    own = {a.arxiv_base for a in claim.anchors if a.arxiv_base}

    def keep(f: Found) -> bool:  # newer work only, never the claim's own anchors
        return since <= f.submitted <= today and f.arxiv_id not in own

    raw: dict[str, list[Found]] = {}
    for s in specs:
        if s.kind == "quorum":
            assert s.query is not None and s.query_index is not None
            hits = backend.search(s.query, since=start, until=today, categories=cats,
                                  query_index=s.query_index, limit=opts.quorum_cap)
        elif s.kind == "title":
            hits = backend.search_title(s.terms, since=start, until=today, categories=cats, limit=opts.title_cap)
        else:
            hits = backend.search_or(s.terms, since=start, until=today, categories=cats, limit=opts.or_cap)
        raw[s.name] = [f for f in hits if keep(f)]
    cite_list = [f for f in (citers or []) if keep(f)]
    everything = [f for hits in raw.values() for f in hits] + cite_list + [f for f in (extra or []) if keep(f)]
    if opts.mode == "live" and not everything:
        raise SuspiciousAnswer(f"every search of claim {claim.id} came back empty for {start}..{today}")
    pool = dedupe(everything)
    papers = sorted(pool.values(), key=lambda f: f.arxiv_id)

    if backend.ranks_lists:
        lists = {name: list(dict.fromkeys(f.arxiv_id for f in hits)) for name, hits in raw.items()}
    else:
        lists = rank.pool_rank(specs, papers)
    if cite_list:
        cited = {}
        for f in cite_list:
            cited[f.arxiv_id] = cited.get(f.arxiv_id, 0) + 1
        lists["citers"] = sorted(cited, key=lambda a: (-cited[a], a))

    say(f"{claim.id}: pool of {len(papers)} papers from {len(lists)} lists; embedding")
    before = store.computed
    vecs = store.vectors(papers, progress=lambda done, total: say(f"{claim.id}: embedded {done}/{total} new papers")
                         if done == total or done % 512 == 0 else None)
    if store.computed > before:
        log.info("%s: embedded %d new papers", claim.id, store.computed - before)
    refs = rank.references(claim.statement, lit.queries, anchors)
    ref_vecs = store.encode(refs.texts)  # few: never cached
    dense_ranked, dense_by = rank.dense_lists([p.arxiv_id for p in papers], vecs, refs, ref_vecs)
    lists.update(dense_ranked)

    fused = rank.rrf(lists, k=opts.rrf_k)
    order = sorted(fused, key=lambda a: (-fused[a], -dense_by.get(a, 0.0), a))
    positions = {name: {aid: r for r, aid in enumerate(ids, 1)} for name, ids in lists.items()}
    out = []
    for aid in order:
        ranks = {name: pos[aid] for name, pos in positions.items() if aid in pos}
        out.append((pool[aid], fused[aid], dense_by[aid], ranks))
    terms = {s.name: list(s.terms) if s.kind in ("or", "title") else [" ".join(ph) for ph in s.query.phrases]
             for s in specs if s.kind in ("or", "title") or s.query is not None}
    kinds = {s.name: s.kind for s in specs} | {"citers": "citers"} | {n: "dense" for n, _ in rank.DENSE_LISTS}
    infos = [ListInfo(name=n, kind=kinds[n], size=len(ids), terms=terms.get(n, [])) for n, ids in lists.items()]
    return Ranked(out, infos, len(papers), anchors, papers)


def _anchors(claim: Claim, s2, since: dt.date, prev: ClaimEntry | None, today: dt.date
             ) -> tuple[list[AnchorInfo], list[Found]]:
    """Anchor citation counts (live, with S2) and their newer citers.

    Without Semantic Scholar (offline, or `--no-s2`), or when S2 cannot give a
    count, the last good counts are kept with the date they were counted.
    """
    old = {a.key: a for a in (prev.anchors if prev else [])}
    infos, citing = [], []
    for a in claim.anchors:
        last = old.get(a.key)
        if s2 is None:
            if last is not None and last.citation_count is not None:
                infos.append(last.model_copy(update={"title": a.title}))
            else:
                infos.append(AnchorInfo(key=a.key, title=a.title,
                                        note="citation counts come from Semantic Scholar in a live fetch"))
            continue
        info, found = s2.anchor(a.arxiv_base, since, a.title)
        citing.extend(found)
        if info.citation_count is None and last is not None and last.citation_count is not None:
            infos.append(last.model_copy(update={"title": a.title, "note": f"kept from {last.counted_on}: {info.note}"}))
            continue
        infos.append(AnchorInfo(key=a.key, title=a.title, citation_count=info.citation_count,
                                citing_since=info.citing_since, s2_paper_id=info.paper_id,
                                counted_on=today if info.citation_count is not None else None, note=info.note))
    return infos, citing


def fetch_claim(
    claim: Claim, prev: ClaimEntry | None, backend: SearchBackend, source: Source,
    opts: FetchOptions, s2=None, store: EmbeddingStore | None = None,
) -> tuple[ClaimEntry | None, ClaimOutcome]:
    """Fetch one claim. Returns (new entry or None if unchanged, outcome)."""
    t0 = time.perf_counter()
    fp = fingerprint(claim)
    since = claim.literature.since
    same_claim = prev is not None and prev.fingerprint == fp
    if opts.mode == "mirror" and same_claim and prev.source == source and not opts.force:
        return None, ClaimOutcome(claim.id, "unchanged", seconds=time.perf_counter() - t0)
    store = store or EmbeddingStore(opts.cache_dir)
    start = since
    extra: list[Found] = []
    citers: list[Found] = []
    if opts.mode == "live":
        if same_claim and prev.source.kind == "live":
            start = max(since, prev.until - LIVE_OVERLAP)
        if prev is not None and prev.candidates:  # keep the previous candidates in the pool
            want = [c.arxiv_id for c in prev.candidates]
            got = backend.lookup(want)
            missing = [a for a in want if a not in got]
            if missing:
                raise SuspiciousAnswer(f"arXiv did not return {len(missing)} known paper(s), e.g. {missing[0]}")
            extra = list(got.values())
        anchors, citers = _anchors(claim, s2 if opts.use_s2 else None, since, prev, opts.today)
    else:  # offline: keep counts from the last live fetch, if any
        anchors, _ = _anchors(claim, None, since, prev, opts.today)
    computed = store.computed
    ranked = rank_claim(claim, backend, start=start, today=opts.today, store=store, citers=citers,
                        extra=extra, opts=opts)
    seen = dict(prev.seen) if prev is not None else {}
    kept = ranked.candidates[: opts.top_n]
    added = sum(1 for f, *_ in kept if f.arxiv_id not in seen)
    for f, *_ in kept:
        seen.setdefault(f.arxiv_id, opts.today)
    cands = [
        Candidate(
            arxiv_id=f.arxiv_id, version=f.version, title=f.title, authors=f.authors, submitted=f.submitted,
            categories=f.categories, url=f.url, score=round(score, 6), dense=round(dense, 4), ranks=ranks,
            first_seen=seen[f.arxiv_id],
            origin="cites-anchor" if f.origin == "cites-anchor" else "search",  # how it was retrieved
            queries=sorted(int(n.split(":")[1]) for n in ranks if n.startswith("quorum:")),
        )
        for f, score, dense, ranks in kept
    ]
    rel_ids = sorted(opts.relevant.get(claim.id, set()))
    in_pool = {f.arxiv_id: f for f in ranked.papers}
    missing = [a for a in rel_ids if a not in in_pool]
    looked = backend.lookup(missing) if missing else {}
    relevant = [in_pool.get(a) or looked[a] for a in rel_ids if a in in_pool or a in looked]
    proposals = propose(claim.literature.queries, relevant, ranked.papers)
    outcome = ClaimOutcome(claim.id, "updated", ranked.pool, added, store.computed - computed,
                           time.perf_counter() - t0, proposals=proposals)
    if (opts.mode == "mirror" and same_claim and prev.source == source and prev.candidates == cands and prev.lists == ranked.lists
            and prev.anchors == anchors):
        outcome.status = "unchanged"  # re-ranked (forced) to the same result: leave the file alone
        return None, outcome
    entry = ClaimEntry(
        fetched_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0), source=source, since=since,
        until=opts.today, fingerprint=fp, retrieved=ranked.pool, added=added, candidates=cands,
        seen=dict(sorted(seen.items())), anchors=anchors, lists=ranked.lists,
    )
    return entry, outcome


def run_fetch(
    root: Path, claims: list[Claim], backend: SearchBackend, source: Source, opts: FetchOptions,
    s2=None, mirror_build_seconds: float | None = None, store: EmbeddingStore | None = None,
) -> FetchReport:
    """Fetch every claim, then write the snapshot once (atomically) if anything changed."""
    t0 = time.perf_counter()
    path = root / SNAPSHOT_PATH
    snap = read_snapshot(path)
    if not opts.relevant:
        reviews = load_reviews(root / REVIEWS_PATH)
        opts.relevant = {cid: {a for a, r in revs.items() if r.stance != "irrelevant"} for cid, revs in reviews.items()}
    outcomes: list[ClaimOutcome] = []
    changed = False
    for claim in claims:
        try:
            entry, outcome = fetch_claim(claim, snap.claims.get(claim.id), backend, source, opts, s2, store)
        except Exception as exc:  # noqa: BLE001 - reported per claim; the last good entry stays
            log.error("fetch failed for claim %s: %s", claim.id, exc)
            outcomes.append(ClaimOutcome(claim.id, "failed", error=f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(outcome)
        if opts.progress is not None:
            opts.progress(f"{claim.id}: {outcome.status} in {outcome.seconds:.1f}s")
        if entry is not None:
            snap.claims[claim.id] = entry
            changed = True
    if changed:
        snap.updated_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        snap.claims = dict(sorted(snap.claims.items()))
        write_snapshot(path, snap)
    return FetchReport(outcomes, changed, source.describe(), time.perf_counter() - t0, mirror_build_seconds)
