"""The offline mirror over the real shared arXiv snapshot, and its index cache."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3

import pytest

from fetch.mirror import MirrorError, file_sha256, open_mirror
from fetch.query import arxiv_expression, clauses, fts5_expression, parse_query, quorum
from fetch_support import require_shared


@pytest.fixture(scope="session")
def real_mirror(tmp_path_factory):
    """One index of the 190k-record shared snapshot per test session (~30 s on 2 cores)."""
    snap = require_shared("data", "arxiv", "arxiv-metadata-snapshot.jsonl.gz")
    cache = tmp_path_factory.mktemp("mirror-cache")
    return open_mirror(snap, cache), cache


# ----------------------------------------------------------------- query rule


def test_query_parsing_drops_common_words_and_keeps_phrases():
    q = parse_query('Do LLMs "pattern match" the step-by-step execution of code?')
    assert q.phrases == (("pattern", "match"), ("llms",), ("step", "by", "step"), ("execution",), ("code",))


def test_quorum_rule():
    assert [quorum(n) for n in (1, 2, 3, 4, 5, 6, 8, 10, 12)] == [1, 2, 2, 3, 3, 4, 5, 8, 11]
    q = parse_query("alpha beta gamma delta")
    assert len(clauses(q)) == 4  # C(4, 3)
    assert fts5_expression(q).count(" OR ") == 3
    assert arxiv_expression(parse_query('"unit test" oracle')) == 'all:"unit test" AND all:oracle'


def test_query_with_nothing_searchable_is_an_error():
    with pytest.raises(ValueError, match="no searchable words"):
        parse_query("the of and")


# ----------------------------------------------------------------- real snapshot


def test_index_covers_every_record(real_mirror):
    mirror, _ = real_mirror
    assert mirror.count() == 189_993
    assert mirror.sha256 == file_sha256(mirror.snapshot)


def test_search_respects_date_window_categories_and_quorum(real_mirror):
    mirror, _ = real_mirror
    q = parse_query("language models simulate program execution")
    since, until = dt.date(2025, 3, 1), dt.date(2025, 12, 31)
    hits = mirror.search(q, since=since, until=until, categories=["cs.SE"], limit=50)
    assert hits, "the shared snapshot has cs.SE papers on executing programs in 2025"
    assert all(since <= h.submitted <= until for h in hits)
    assert all("cs.SE" in h.categories for h in hits)
    assert [h.bm25 for h in hits] == sorted((h.bm25 for h in hits), reverse=True)
    assert len({h.arxiv_id for h in hits}) == len(hits)
    # the quorum (4 of 5 words) holds in every hit's title or abstract, modulo stemming
    stems = ["languag", "model", "simul", "program", "execut"]
    for h in hits:
        text = (h.title + " " + h.abstract).lower()
        assert sum(s in text for s in stems) >= 4, h.title


def test_window_edges_are_inclusive_and_exclusive_as_documented(real_mirror):
    mirror, _ = real_mirror
    q = parse_query("large language models code generation")
    day = dt.date(2025, 6, 10)
    same_day = mirror.search(q, since=day, until=day, limit=500)
    assert same_day and all(h.submitted == day for h in same_day)
    before = mirror.search(q, since=dt.date(2023, 1, 1), until=day - dt.timedelta(days=1), limit=500)
    assert not {h.arxiv_id for h in same_day} & {h.arxiv_id for h in before}


def test_second_open_reuses_the_index(real_mirror):
    mirror, cache = real_mirror
    stamp = mirror.index_path.stat().st_mtime_ns
    again = open_mirror(mirror.snapshot, cache)
    assert again.build_seconds is None
    assert again.index_path == mirror.index_path and again.index_path.stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [mirror.index_path.name]


# ----------------------------------------------------------------- small snapshots of our own


def _record(i: int, title: str, created: str, cats: str = "cs.CL", abstract: str = "") -> dict:
    return {"id": f"2501.{i:05d}", "submitter": None, "authors": "Ada Lovelace, Alan Turing", "title": title,
            "comments": None, "journal-ref": None, "doi": None, "report-no": None, "categories": cats,
            "license": None, "abstract": abstract or title,
            "versions": [{"version": "v1", "created": created}, {"version": "v2", "created": created}],
            "update_date": "2025-01-02", "authors_parsed": [["Lovelace", "Ada", ""], ["Turing", "Alan", ""]]}


def _write(path, records, gz=True):
    lines = "".join(json.dumps(r) + "\n" for r in records)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(lines)
    else:
        path.write_text(lines, encoding="utf-8")


def test_changed_snapshot_gets_a_new_index(tmp_path):
    snap = tmp_path / "snap.jsonl.gz"
    _write(snap, [_record(1, "Tracing program execution with language models", "Mon, 6 Jan 2025 10:00:00 GMT")])
    a = open_mirror(snap, tmp_path / "cache")
    assert a.build_seconds is not None and a.count() == 1
    hit = a.search(parse_query("program execution"), since=dt.date(2025, 1, 1))[0]
    assert (hit.arxiv_id, hit.version, hit.submitted) == ("2501.00001", 2, dt.date(2025, 1, 6))
    assert hit.authors == ["Ada Lovelace", "Alan Turing"]
    _write(snap, [_record(1, "Tracing program execution", "Mon, 6 Jan 2025 10:00:00 GMT"),
                  _record(2, "Program execution again", "Tue, 7 Jan 2025 10:00:00 GMT")])
    b = open_mirror(snap, tmp_path / "cache")
    assert b.sha256 != a.sha256 and b.index_path != a.index_path and b.count() == 2


def test_bad_line_names_file_and_line_and_leaves_no_index(tmp_path):
    snap = tmp_path / "snap.jsonl"
    _write(snap, [_record(1, "ok", "Mon, 6 Jan 2025 10:00:00 GMT")], gz=False)
    with snap.open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(MirrorError, match=r"snap\.jsonl:2: not valid JSON"):
        open_mirror(snap, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_incomplete_index_is_rebuilt(tmp_path):
    snap = tmp_path / "snap.jsonl"
    _write(snap, [_record(1, "ok words", "Mon, 6 Jan 2025 10:00:00 GMT")], gz=False)
    m = open_mirror(snap, tmp_path / "cache")
    con = sqlite3.connect(m.index_path)
    con.execute("UPDATE meta SET value = '0' WHERE key = 'complete'")
    con.commit()
    con.close()
    again = open_mirror(snap, tmp_path / "cache")
    assert again.build_seconds is not None and again.count() == 1
