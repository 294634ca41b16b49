"""Ranking a claim's candidates: several ranked lists, fused by reciprocal rank.

Why lists and ranks, not one score: BM25 values are only comparable within
one query (a broad query's scores dwarf a narrow one's), and a paper that
ranks 13th for its own query must not fall to 120th because another query is
broader. So each source of evidence gives a ranked list, and only ranks are
combined (`RULE` below is the text the book's methods page shows).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from .query import ParsedQuery, fts5_expression, fts5_or_expression, fts5_title_expression, or_terms, parse_query
from .records import Found

#: The constant of reciprocal-rank fusion (Cormack, Clarke & Buettcher 2009 use 60).
RRF_K = 60
QUORUM_CAP = 500  # papers taken from each quorum query
OR_CAP = 200  # papers taken from each OR list
TITLE_CAP = 200  # papers taken from each title list

ListKind = Literal["quorum", "or", "title", "citers", "dense"]

#: The dense lists: each ranks the whole pool by cosine similarity (all-MiniLM-L6-v2) to one kind of
#: reference text. "dense" (the mean over all of them) is also the `dense` figure of a candidate.
DENSE_LISTS: tuple[tuple[str, str], ...] = (
    ("dense", "mean similarity to the statement, each query and each primary source"),
    ("dense:statement", "similarity to the claim statement"),
    ("dense:queries", "highest similarity to any one query"),
    ("dense:anchors", "highest similarity to any one primary source (title and abstract)"),
)

#: The ranking rule, as the book's methods page shows it (one item per line).
RULE: tuple[str, ...] = (
    f"Quorum lists: each of the claim's queries under the quorum rule above, best BM25 first, "
    f"at most {QUORUM_CAP} papers each.",
    f"Word lists (OR, BM25): the words of each query, of the claim statement, of each primary "
    f"source's title and of each primary source's abstract; a paper needs only one of the words, "
    f"and BM25 ranks those sharing more and rarer words higher; at most {OR_CAP} papers each.",
    f"Title lists (OR, BM25 on titles only): the words of each query and of the claim statement, "
    f"searched in titles alone, since a title says what a paper is about while an abstract mentions "
    f"much else; at most {TITLE_CAP} papers each.",
    "Citers (live fetches only): newer papers that cite the claim's primary sources on Semantic "
    "Scholar, those citing more of them first.",
    "Dense lists: every paper in the union of the lists above (the pool), by cosine similarity "
    "(all-MiniLM-L6-v2 over title and abstract): one list by the mean similarity to the claim "
    "statement, each query and each primary source's title and abstract; one by the similarity to the "
    "statement; one by the highest similarity to any one query; one by the highest similarity to any "
    "one primary source. Each kind of reference is its own evidence: a paper very close to one primary "
    "source is not averaged away by the others.",
    f"Fusion: a paper's score is the sum over the lists it appears in of 1 / ({RRF_K} + its rank "
    "there). Only ranks are combined, never raw BM25 values of different queries. Ties go to the "
    "higher mean dense similarity, then the arXiv id.",
    "In the offline mirror BM25 uses the whole snapshot's statistics; in a live fetch every list is "
    "re-ranked by BM25 over the pool that fetch retrieved (the previous candidates included).",
)


@dataclass(frozen=True)
class ListSpec:
    """One ranked list of a claim: what is searched and how."""

    name: str  # e.g. "quorum:0", "or:statement", "or:abstract:2506.02878v1", "title:query:1"
    kind: ListKind
    query: ParsedQuery | None = None  # quorum lists
    terms: tuple[str, ...] = ()  # OR and title lists
    query_index: int | None = None  # which claim query (quorum and per-query OR lists)


@dataclass(frozen=True)
class AnchorText:
    key: str
    title: str
    abstract: str  # "" when no source of the abstract was available


def list_specs(queries: Sequence[str], statement: str, anchors: Sequence[AnchorText]) -> list[ListSpec]:
    """The lexical lists of one claim, in a fixed order."""
    specs: list[ListSpec] = []
    parsed = [parse_query(q) for q in queries]
    for i, q in enumerate(parsed):
        specs.append(ListSpec(f"quorum:{i}", "quorum", query=q, query_index=i))
    for i, q in enumerate(parsed):
        specs.append(ListSpec(f"or:query:{i}", "or", terms=tuple(" ".join(p) for p in q.phrases), query_index=i))
    specs.append(ListSpec("or:statement", "or", terms=or_terms(statement)))
    for a in anchors:
        specs.append(ListSpec(f"or:title:{a.key}", "or", terms=or_terms(a.title)))
        if a.abstract:
            specs.append(ListSpec(f"or:abstract:{a.key}", "or", terms=or_terms(a.abstract)))
    for i, q in enumerate(parsed):
        specs.append(ListSpec(f"title:query:{i}", "title", terms=tuple(" ".join(p) for p in q.phrases), query_index=i))
    specs.append(ListSpec("title:statement", "title", terms=or_terms(statement)))
    return specs


def rrf(lists: dict[str, list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: sum over lists of 1 / (k + rank), ranks from 1."""
    score: dict[str, float] = {}
    for ids in lists.values():
        for r, aid in enumerate(ids, 1):
            score[aid] = score.get(aid, 0.0) + 1.0 / (k + r)
    return score


def dense_scores(pool_vecs: np.ndarray, ref_vecs: np.ndarray) -> np.ndarray:
    """Mean cosine similarity of each pool row to the reference rows (all unit length)."""
    if len(pool_vecs) == 0 or len(ref_vecs) == 0:
        return np.zeros(len(pool_vecs), dtype=np.float32)
    return pool_vecs @ ref_vecs.T @ np.full(len(ref_vecs), 1.0 / len(ref_vecs), dtype=np.float32)


def max_scores(pool_vecs: np.ndarray, ref_vecs: np.ndarray) -> np.ndarray:
    """Highest cosine similarity of each pool row to any one reference row (all unit length)."""
    if len(pool_vecs) == 0 or len(ref_vecs) == 0:
        return np.zeros(len(pool_vecs), dtype=np.float32)
    return (pool_vecs @ ref_vecs.T).max(axis=1)


@dataclass(frozen=True)
class References:
    """What a relevant paper should resemble, by kind: the statement, each query, each anchor."""

    statement: str
    queries: tuple[str, ...]
    anchors: tuple[str, ...]  # title and abstract (or the title alone) of each anchor

    @property
    def texts(self) -> list[str]:
        return [self.statement, *self.queries, *self.anchors]


def references(statement: str, queries: Sequence[str], anchors: Sequence[AnchorText]) -> References:
    return References(statement, tuple(queries),
                      tuple(f"{a.title}. {a.abstract}".strip() if a.abstract else a.title for a in anchors))


def reference_texts(statement: str, queries: Sequence[str], anchors: Sequence[AnchorText]) -> list[str]:
    """What a relevant paper should resemble: the statement, each query, each anchor."""
    return references(statement, queries, anchors).texts


def dense_lists(ids: Sequence[str], pool_vecs: np.ndarray, refs: References, ref_vecs: np.ndarray
                ) -> tuple[dict[str, list[str]], dict[str, float]]:
    """The dense lists of `DENSE_LISTS` (best first, ties by arXiv id) and each paper's mean similarity.

    `ref_vecs` are the unit vectors of `refs.texts`, in that order. A claim without anchors gets
    no "dense:anchors" list.
    """
    n_q = len(refs.queries)
    groups = {"dense": ref_vecs, "dense:statement": ref_vecs[:1], "dense:queries": ref_vecs[1:1 + n_q],
              "dense:anchors": ref_vecs[1 + n_q:]}
    mean = dense_scores(pool_vecs, ref_vecs)
    scores = {"dense": mean}
    for name, _ in DENSE_LISTS[1:]:
        if len(groups[name]):
            scores[name] = max_scores(pool_vecs, groups[name])
    out = {}
    for name, sc in scores.items():
        by = {a: float(v) for a, v in zip(ids, sc, strict=True)}
        out[name] = sorted(by, key=lambda a: (-by[a], a))
    return out, {a: float(v) for a, v in zip(ids, mean, strict=True)}


def pool_rank(specs: Sequence[ListSpec], papers: Sequence[Found]) -> dict[str, list[str]]:
    """Each lexical list re-ranked over an in-memory pool by BM25 (live fetches).

    Only papers matching the list's expression (quorum, or any word) enter it;
    corpus statistics are the pool's. Ties are broken by arXiv id.
    """
    out: dict[str, list[str]] = {}
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE pool USING fts5(aid UNINDEXED, title, abstract, "
                    "tokenize='porter unicode61')")
        con.executemany("INSERT INTO pool(aid, title, abstract) VALUES (?, ?, ?)",
                        [(p.arxiv_id, p.title, p.abstract) for p in papers])
        for s in specs:
            if s.kind == "quorum" and s.query is not None:
                expr = fts5_expression(s.query)
            elif s.kind == "or":
                expr = fts5_or_expression(s.terms)
            elif s.kind == "title":
                expr = fts5_title_expression(s.terms)
            else:
                continue
            rows = con.execute("SELECT aid, bm25(pool, 0.0, 2.0, 1.0) AS b FROM pool WHERE pool MATCH ?"
                               " ORDER BY b, aid", (expr,)).fetchall()
            out[s.name] = [r[0] for r in rows]
    finally:
        con.close()
    return out
