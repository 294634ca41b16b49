"""The offline mirror: query rule, index cache, searches, and ranking a real claim.

Everything here runs on the committed subset of the arXiv metadata snapshot
(tests/fixtures/fetch/mirror/, a few thousand records); only the tests marked
`full_mirror` need the 190k-record snapshot in ../shared, and they skip without it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3

import pytest
import yaml

from fetch.mirror import MirrorBackend, MirrorError, file_sha256, open_mirror
from fetch.query import arxiv_expression, clauses, fts5_expression, or_terms, parse_query, quorum
from fetch_support import MIRROR_SUBSET, full_mirror_snapshot


@pytest.fixture(scope="session")
def subset(tmp_path_factory):
    """One index of the committed subset per test session (a second or two)."""
    cache = tmp_path_factory.mktemp("mirror-cache")
    return open_mirror(MIRROR_SUBSET, cache), cache


@pytest.fixture(scope="session")
def full(tmp_path_factory):
    """The 190k-record shared snapshot, indexed once (~20-40 s on 2 cores)."""
    return open_mirror(full_mirror_snapshot(), tmp_path_factory.mktemp("full-cache"))


def subset_records() -> list[dict]:
    with gzip.open(MIRROR_SUBSET, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


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


def test_or_terms_of_free_text():
    terms = or_terms("Models cannot fix their own answers; models need tests, a checker, execution (2 of 3).")
    assert terms[0] == "models" and "cannot" not in terms and "2" not in terms and "their" not in terms
    assert {"fix", "answers", "tests", "checker", "execution"} <= set(terms)
    assert len(or_terms(" ".join(f"word{i}" for i in range(100)))) == 40


# ----------------------------------------------------------------- the committed subset


def test_subset_is_small_and_indexed_whole(subset):
    mirror, _ = subset
    records = subset_records()
    assert 1000 <= len(records) <= 10000 and MIRROR_SUBSET.stat().st_size < 6_000_000
    assert mirror.count() == len(records) and mirror.sha256 == file_sha256(MIRROR_SUBSET)


def test_search_respects_date_window_categories_and_quorum(subset):
    mirror, _ = subset
    q = parse_query("language models code execution")
    since, until = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    hits = mirror.search(q, since=since, until=until, categories=["cs.SE"], limit=50)
    assert hits, "the subset has cs.SE papers on language models executing code in 2025"
    assert all(since <= h.submitted <= until for h in hits)
    assert all("cs.SE" in h.categories for h in hits)
    assert [h.bm25 for h in hits] == sorted((h.bm25 for h in hits), reverse=True)
    assert len({h.arxiv_id for h in hits}) == len(hits)
    stems = ["languag", "model", "code", "execut"]  # quorum: 3 of 4, modulo stemming
    for h in hits:
        text = (h.title + " " + h.abstract).lower()
        assert sum(s in text for s in stems) >= 3, h.title


def test_window_edges_are_inclusive(subset):
    mirror, _ = subset
    q = parse_query("large language models reasoning")
    hits = mirror.search(q, since=dt.date(2025, 1, 1), limit=500)
    day = hits[len(hits) // 2].submitted
    same_day = mirror.search(q, since=day, until=day, limit=500)
    assert same_day and all(h.submitted == day for h in same_day)
    before = mirror.search(q, since=dt.date(2023, 1, 1), until=day - dt.timedelta(days=1), limit=500)
    assert not {h.arxiv_id for h in same_day} & {h.arxiv_id for h in before}


def test_or_search_ranks_papers_sharing_more_words_first(subset):
    mirror, _ = subset
    terms = or_terms("chain of thought reasoning distribution shift counterfactual")
    hits = mirror.search_or(terms, since=dt.date(2025, 1, 1), categories=["cs.CL", "cs.AI", "cs.LG"], limit=100)
    assert len(hits) == 100 and [h.bm25 for h in hits] == sorted((h.bm25 for h in hits), reverse=True)
    top = (hits[0].title + " " + hits[0].abstract).lower()
    assert sum(w in top for w in ("chain", "thought", "reasoning", "shift", "counterfactual")) >= 3


def test_title_search_matches_titles_only(subset):
    mirror, _ = subset
    terms = ("counterfactual", "memorization")
    hits = mirror.search_title(terms, since=dt.date(2025, 1, 1), categories=["cs.CL", "cs.AI", "cs.LG"], limit=50)
    assert hits and all(any(t in h.title.lower() for t in ("counterfactual", "memoriz")) for h in hits)
    in_abstract = mirror.search_or(terms, since=dt.date(2025, 1, 1), categories=["cs.CL", "cs.AI", "cs.LG"], limit=500)
    assert any(not any(t in h.title.lower() for t in ("counterfactual", "memoriz")) for h in in_abstract)


def test_lookup_returns_abstracts_of_known_ids_only(subset):
    mirror, _ = subset
    rec = subset_records()[0]
    got = mirror.lookup([rec["id"], "0000.00000"])
    assert list(got) == [rec["id"]] and got[rec["id"]].abstract


def test_second_open_reuses_the_index(subset):
    mirror, cache = subset
    stamp = mirror.index_path.stat().st_mtime_ns
    again = open_mirror(mirror.snapshot, cache)
    assert again.build_seconds is None
    assert again.index_path == mirror.index_path and again.index_path.stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [mirror.index_path.name]


def test_claim_ranking_on_the_subset_finds_labelled_papers(subset, tmp_path):
    """End to end with the real MiniLM: the labelled papers of a claim come near the top."""
    from pathlib import Path

    from codegap.claims import load_claims
    from fetch.embed import EmbeddingStore
    from fetch.pipeline import FetchOptions, rank_claim

    repo = Path(__file__).resolve().parents[1]
    claim = {c.id: c for c in load_claims(repo / "claims")}["verification-gap"]
    rel = yaml.safe_load((repo / "literature" / "relevance.yaml").read_text())["claims"][claim.id]
    labelled = {str(p["arxiv"]) for p in rel}
    mirror, _ = subset
    today = dt.date(2026, 11, 30)
    # Short lists keep the pool (and so the real model's work) to a few hundred papers.
    ranked = rank_claim(claim, MirrorBackend(mirror), start=claim.literature.since, today=today,
                        store=EmbeddingStore(tmp_path / "emb"),
                        opts=FetchOptions(today=today, quorum_cap=20, or_cap=10, title_cap=10))
    assert ranked.pool < 300
    order = [f.arxiv_id for f, *_ in ranked.candidates]
    assert len(set(order[:20]) & labelled) >= 3, order[:20]
    assert {"quorum:0", "or:statement", "title:statement", "dense", "dense:anchors"} <= {li.name for li in ranked.lists}


# ----------------------------------------------------------------- snapshots of our own


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


# ----------------------------------------------------------------- the full mirror (optional)


@pytest.mark.full_mirror
def test_full_index_covers_every_record(full):
    assert full.count() == 189_993
    assert full.sha256 == file_sha256(full.snapshot)


@pytest.mark.full_mirror
def test_full_mirror_answers_every_claim_query_and_the_subset_agrees(full, subset):
    """The subset holds the head of each claim's quorum lists exactly as the full mirror ranks them."""
    from pathlib import Path

    from codegap.claims import load_claims

    sub, _ = subset
    repo = Path(__file__).resolve().parents[1]
    for claim in load_claims(repo / "claims"):
        lit = claim.literature
        for q in lit.queries:
            pq = parse_query(q)
            whole = [h.arxiv_id for h in full.search(pq, since=lit.since, categories=list(lit.categories), limit=10)]
            assert whole, f"{claim.id}: {q!r} finds nothing in the full mirror"
            held = {h.arxiv_id for h in sub.search(pq, since=lit.since, categories=list(lit.categories), limit=500)}
            assert set(whole[:5]) <= held, f"{claim.id}: {q!r}: regenerate the subset (make_mirror_subset.py)"
