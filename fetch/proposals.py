"""Query terms that follow the field: proposed from the papers maintainers marked relevant.

Newer papers often name the same question with new words ("tool calling"
for "function calling", "large reasoning models", a benchmark's name). After
each ranking, `propose` looks at the claim's papers that maintainers reviewed
as supports / challenges / qualifies, and proposes words and two-word phrases
that several of them share, that are much more common among them than in the
claim's pool (and rare in it: at most 5% of the pool), and that no query of the claim
contains yet. `codegap fetch`
prints them and writes them to `literature/query-proposals.yaml`; a
maintainer accepts one by adding it to a query in the claim's YAML. Nothing
is added automatically.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import snowballstemmer
import yaml

from codegap.atomic import replace as write_atomic
from .query import TEXT_STOPWORDS
from .records import Found

PROPOSALS_PATH = Path("literature") / "query-proposals.yaml"
MIN_SHARE = 0.25  # a term must occur in at least this share of the relevant papers ...
MIN_PAPERS = 2  # ... and in at least this many of them
MIN_LIFT = 3.0  # and be this many times more common among them than in the pool
MAX_POOL_SHARE = 0.05  # and occur in at most this share of the pool (generic words occur everywhere)
MAX_PROPOSALS = 8

_stem = snowballstemmer.stemmer("english").stemWord

#: Words of abstract boilerplate: common in any paper's summary, never a useful query term.
BOILERPLATE = frozenset(
    """moreover furthermore additionally notably crucially given phenomenon underscore underscores
    demands covers drops narrow stemming insights insight millions first significant significantly
    challenges challenge suffer suffers alters stability frequent proprietary latency reveals reveal
    uncover uncovers attempts number empirical analysis improving improves improve improved large
    directly nature ability simple maintain including explore answers directions even accuracy correct
    novel propose proposes introduce introduces demonstrate demonstrates experiments extensive
    comprehensive framework benchmark benchmarks results findings study work existing recent
    performance models model tasks task method methods approach approaches evaluate evaluation""".split()
)


@dataclass(frozen=True)
class Proposal:
    term: str  # surface form most used by the relevant papers
    papers: int  # relevant papers containing it
    relevant: int  # relevant papers read
    pool_share: float  # share of the pool containing it
    examples: tuple[str, ...]  # arXiv ids of papers containing it


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())]


def _terms(text: str) -> dict[tuple[str, ...], str]:
    """Stemmed unigrams and bigrams of content words -> a surface form."""
    words = [w for w in _words(text) if len(w) > 2 and not w.isdigit() and w not in TEXT_STOPWORDS
             and w not in BOILERPLATE]
    out: dict[tuple[str, ...], str] = {}
    stems = [_stem(w) for w in words]
    for w, s in zip(words, stems, strict=True):
        out.setdefault((s,), w)
    for i in range(len(words) - 1):
        out.setdefault((stems[i], stems[i + 1]), f"{words[i]} {words[i + 1]}")
    return out


def _query_stems(queries: Iterable[str]) -> set[str]:
    return {_stem(w) for q in queries for w in _words(q)}


def propose(queries: Sequence[str], relevant: Sequence[Found], pool: Sequence[Found]) -> list[Proposal]:
    """Terms shared by the relevant papers that the queries lack (see module doc)."""
    if len(relevant) < MIN_PAPERS or not pool:
        return []
    have = _query_stems(queries)
    rel_terms = [_terms(f"{p.title} {p.abstract}") for p in relevant]
    pool_df: dict[tuple[str, ...], int] = {}
    for p in pool:
        for t in _terms(f"{p.title} {p.abstract}"):
            pool_df[t] = pool_df.get(t, 0) + 1
    need = max(MIN_PAPERS, math.ceil(MIN_SHARE * len(relevant)))
    counts: dict[tuple[str, ...], list[int]] = {}
    surface: dict[tuple[str, ...], dict[str, int]] = {}
    for i, terms in enumerate(rel_terms):
        for t, form in terms.items():
            counts.setdefault(t, []).append(i)
            surface.setdefault(t, {}).setdefault(form, 0)
            surface[t][form] += 1
    scored = []
    for t, papers in counts.items():
        if len(papers) < need or all(s in have for s in t):
            continue
        share = len(papers) / len(relevant)
        pool_share = (pool_df.get(t, 0) + 1) / (len(pool) + 1)
        lift = share / pool_share
        if lift < MIN_LIFT or pool_share > MAX_POOL_SHARE:
            continue
        form = max(surface[t], key=lambda f: (surface[t][f], f))
        scored.append((share * math.log(lift), len(t), Proposal(
            term=form, papers=len(papers), relevant=len(relevant), pool_share=round(pool_share, 4),
            examples=tuple(relevant[i].arxiv_id for i in papers[:3]))))
    scored.sort(key=lambda x: (-x[0], -x[1], x[2].term))
    out: list[Proposal] = []
    for _, _, p in scored:  # a bigram makes its own words redundant, and the other way round
        if any(set(p.term.split()) & set(q.term.split()) for q in out):
            continue
        out.append(p)
        if len(out) == MAX_PROPOSALS:
            break
    return out


def write_proposals(root: Path, by_claim: dict[str, list[Proposal]], today: dt.date) -> Path:
    """Replace `literature/query-proposals.yaml` with the proposals of the claims just ranked (others kept)."""
    path = root / PROPOSALS_PATH
    old = {}
    if path.exists():
        old = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("claims") or {}
    for cid, props in by_claim.items():
        old[cid] = {"proposed": today.isoformat(), "terms": [
            {"term": p.term, "relevant_papers": f"{p.papers} of {p.relevant}", "pool_share": p.pool_share,
             "examples": list(p.examples)} for p in props]}
    header = ("# Query terms proposed by `codegap fetch` from the papers maintainers reviewed as relevant\n"
              "# (fetch/proposals.py). Proposals only: accept one by adding it to a query in claims/<id>.yaml.\n")
    write_atomic(path, header + yaml.safe_dump({"claims": dict(sorted(old.items()))}, sort_keys=False,
                                               allow_unicode=True, width=100))
    return path
