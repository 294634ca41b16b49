"""Offline mirror: the arXiv search answered from a local metadata snapshot.

The snapshot is the standard "arXiv metadata OAI snapshot" JSON-lines format
(gzipped or plain). It is indexed once into SQLite with an FTS5 table (porter
stemming, BM25 ranking) and the index is cached under a name derived from the
snapshot's sha256, so a second run, or another checkout on the same machine,
reuses it, and a changed snapshot can never be answered from a stale index.

The index lives in a cache directory (default ``~/.cache/codegap/mirror``,
or ``$CODEGAP_CACHE/mirror``), never in the repository: it holds abstracts.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Iterator

from .query import ParsedQuery, fts5_expression, fts5_or_expression, fts5_title_expression
from .records import Found

log = logging.getLogger(__name__)

INDEX_FORMAT = 2  # bump when the schema below changes; old caches are ignored
BATCH = 5000


class MirrorError(Exception):
    """The snapshot cannot be read or indexed; the message names file and line."""


def default_cache_dir() -> Path:
    root = os.environ.get("CODEGAP_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "codegap"
    return base / "mirror"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("rt", encoding="utf-8")


def _first_submitted(rec: dict, where: str) -> dt.date:
    """Date of v1 from `versions[0].created` (RFC 2822), else `update_date`."""
    versions = rec.get("versions") or []
    if versions and versions[0].get("created"):
        try:
            return parsedate_to_datetime(versions[0]["created"]).date()
        except (TypeError, ValueError) as exc:
            raise MirrorError(f"{where}: versions[0].created {versions[0]['created']!r}: {exc}") from exc
    if rec.get("update_date"):
        return dt.date.fromisoformat(rec["update_date"])
    raise MirrorError(f"{where}: record has neither versions[0].created nor update_date")


def _latest_version(rec: dict) -> int:
    versions = rec.get("versions") or []
    nums = [int(v["version"].lstrip("v")) for v in versions if v.get("version", "").lstrip("v").isdigit()]
    return max(nums) if nums else 1


def _authors(rec: dict) -> str:
    """Authors as 'First Last; First Last' (from authors_parsed when present)."""
    parsed = rec.get("authors_parsed") or []
    if parsed:
        names = [" ".join(p for p in (a[1] if len(a) > 1 else "", a[0]) if p).strip() for a in parsed]
        return "; ".join(n for n in names if n)
    raw = rec.get("authors") or ""
    return "; ".join(a.strip() for a in raw.replace(" and ", ", ").split(",") if a.strip())


def iter_records(path: Path) -> Iterator[tuple[str, int, str, str, str, str, str]]:
    """Rows (id, version, title, authors, submitted ISO, categories, abstract)."""
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise MirrorError(f"{where}: not valid JSON ({exc.msg})") from exc
            if not isinstance(rec, dict) or not rec.get("id") or not rec.get("title"):
                raise MirrorError(f"{where}: record lacks 'id' or 'title'")
            yield (
                str(rec["id"]),
                _latest_version(rec),
                " ".join(str(rec["title"]).split()),
                _authors(rec),
                _first_submitted(rec, where).isoformat(),
                " ".join((rec.get("categories") or "").split()),
                " ".join(str(rec.get("abstract") or "").split()),
            )


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE papers (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, version INTEGER NOT NULL,
    title TEXT NOT NULL, authors TEXT NOT NULL, submitted TEXT NOT NULL,
    categories TEXT NOT NULL, abstract TEXT NOT NULL
);
CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, abstract, content='papers', content_rowid='rowid', tokenize='porter unicode61'
);
"""


@dataclass(frozen=True)
class Mirror:
    """An opened, ready index over one snapshot file."""

    snapshot: Path
    sha256: str
    index_path: Path
    build_seconds: float | None  # None when an existing index was reused

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(f"file:{self.index_path}?mode=ro", uri=True)
        con.execute("PRAGMA query_only = 1")
        return con

    def count(self) -> int:
        with self.connect() as con:
            return int(con.execute("SELECT count(*) FROM papers").fetchone()[0])

    def abstract(self, arxiv_id: str) -> str | None:
        """A paper's abstract from the index (for prompts; never written to the repo)."""
        with self.connect() as con:
            row = con.execute("SELECT abstract FROM papers WHERE id = ?", (arxiv_id,)).fetchone()
        return row[0] if row else None

    def _ranked(self, match: str, *, since: dt.date, until: dt.date | None, categories: list[str] | None,
                limit: int, query_index: int | None) -> list[Found]:
        """Papers matching the FTS5 expression in the window and categories, best BM25 first."""
        until = until or dt.date.max
        sql = """
            SELECT p.id, p.version, p.title, p.authors, p.submitted, p.categories,
                   p.abstract, bm25(papers_fts, 2.0, 1.0) AS score
            FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid
            WHERE papers_fts MATCH ? AND p.submitted >= ? AND p.submitted <= ?
        """
        args: list[object] = [match, since.isoformat(), until.isoformat()]
        if categories:
            ors = " OR ".join("(' ' || p.categories || ' ') LIKE ?" for _ in categories)
            sql += f" AND ({ors})"
            args.extend(f"% {c} %" for c in categories)
        sql += " ORDER BY score, p.id LIMIT ?"
        args.append(limit)
        with self.connect() as con:
            rows = con.execute(sql, args).fetchall()
        return [_found(r[:7], bm25=-float(r[7]), query_index=query_index) for r in rows]

    def search(
        self,
        query: ParsedQuery,
        *,
        since: dt.date,
        until: dt.date | None = None,
        categories: list[str] | None = None,
        limit: int = 100,
        query_index: int = 0,
    ) -> list[Found]:
        """Papers meeting the query's quorum, first submitted in [since, until], best BM25 first.

        BM25 is SQLite's, scored on the quorum expression, so a paper meeting
        more of the alternative clauses scores higher; title hits weigh twice
        abstract hits. `categories`: keep papers listed in at least one of them
        (arXiv cross-lists count). Ties are broken by arXiv id.
        """
        return self._ranked(fts5_expression(query), since=since, until=until, categories=categories,
                            limit=limit, query_index=query_index)

    def search_or(
        self,
        terms: tuple[str, ...],
        *,
        since: dt.date,
        until: dt.date | None = None,
        categories: list[str] | None = None,
        limit: int = 300,
    ) -> list[Found]:
        """Papers containing any of `terms`, best BM25 first (same window, categories and weights)."""
        return self._ranked(fts5_or_expression(terms), since=since, until=until, categories=categories,
                            limit=limit, query_index=None)

    def search_title(
        self,
        terms: tuple[str, ...],
        *,
        since: dt.date,
        until: dt.date | None = None,
        categories: list[str] | None = None,
        limit: int = 200,
    ) -> list[Found]:
        """Papers whose title contains any of `terms`, best title BM25 first (same window and categories)."""
        return self._ranked(fts5_title_expression(terms), since=since, until=until, categories=categories,
                            limit=limit, query_index=None)

    def lookup(self, ids: list[str]) -> dict[str, Found]:
        """Title, abstract and dates of the given base ids that the snapshot holds."""
        out: dict[str, Found] = {}
        with self.connect() as con:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                rows = con.execute(
                    "SELECT id, version, title, authors, submitted, categories, abstract FROM papers"
                    f" WHERE id IN ({','.join('?' for _ in chunk)})", chunk,
                ).fetchall()
                for r in rows:
                    out[r[0]] = _found(r, bm25=0.0, query_index=None)
        return out


def _found(r: tuple, *, bm25: float, query_index: int | None) -> Found:
    return Found(
        arxiv_id=r[0], version=r[1], title=r[2], authors=[a for a in r[3].split("; ") if a],
        submitted=dt.date.fromisoformat(r[4]), categories=r[5].split(), abstract=r[6], bm25=bm25,
        matched_queries=[] if query_index is None else [query_index],
    )


def _index_is_complete(path: Path, sha: str) -> bool:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return False
    return meta.get("sha256") == sha and meta.get("format") == str(INDEX_FORMAT) and meta.get("complete") == "1"


def build_index(snapshot: Path, target: Path, sha: str) -> int:
    """Index `snapshot` into `target` atomically (temp file, then rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    n = 0
    try:
        con = sqlite3.connect(tmp)
        con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        rows = iter_records(snapshot)
        while True:
            batch = [r for _, r in zip(range(BATCH), rows, strict=False)]
            if not batch:
                break
            con.executemany(
                "INSERT INTO papers (id, version, title, authors, submitted, categories, abstract)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", batch,
            )
            n += len(batch)
        con.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")
        con.execute("CREATE INDEX papers_id ON papers(id)")
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("sha256", sha), ("format", str(INDEX_FORMAT)), ("source", snapshot.name),
             ("records", str(n)), ("complete", "1")],
        )
        con.commit()
        con.execute("PRAGMA optimize")
        con.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n


def open_mirror(snapshot: Path, cache_dir: Path | None = None) -> Mirror:
    """Return a ready index for `snapshot`, building it only if no complete one is cached."""
    if not snapshot.is_file():
        raise MirrorError(f"{snapshot}: arXiv metadata snapshot not found")
    sha = file_sha256(snapshot)
    cache = cache_dir or default_cache_dir()
    index = cache / f"arxiv-{sha[:16]}-v{INDEX_FORMAT}.sqlite"
    if _index_is_complete(index, sha):
        return Mirror(snapshot, sha, index, None)
    log.info("indexing %s into %s", snapshot, index)
    t0 = time.perf_counter()
    build_index(snapshot, index, sha)
    return Mirror(snapshot, sha, index, time.perf_counter() - t0)


@dataclass(frozen=True)
class MirrorBackend:
    """Adapts a Mirror to the pipeline's search interface.

    Lists come ranked by BM25 with the whole snapshot's statistics, so the
    pipeline keeps their order as it is (`ranks_lists = True`).
    """

    mirror: Mirror
    ranks_lists: bool = True

    def search(self, query: ParsedQuery, *, since: dt.date, until: dt.date, categories: list[str],
               query_index: int = 0, limit: int = 500) -> list[Found]:
        return self.mirror.search(query, since=since, until=until, categories=categories,
                                  limit=limit, query_index=query_index)

    def search_or(self, terms: tuple[str, ...], *, since: dt.date, until: dt.date, categories: list[str],
                  limit: int = 300) -> list[Found]:
        return self.mirror.search_or(terms, since=since, until=until, categories=categories, limit=limit)

    def search_title(self, terms: tuple[str, ...], *, since: dt.date, until: dt.date, categories: list[str],
                     limit: int = 200) -> list[Found]:
        return self.mirror.search_title(terms, since=since, until=until, categories=categories, limit=limit)

    def lookup(self, ids: list[str]) -> dict[str, Found]:
        return self.mirror.lookup(ids)
