"""Incremental fetching, ranking, dedupe, failure handling and atomic snapshot writes."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from fetch import rank
from fetch.pipeline import FetchOptions, run_fetch
from fetch.records import Found
from fetch.snapshot import SNAPSHOT_PATH, Source, read_snapshot
from fetch_support.claims import make_claim

MIRROR = Source(kind="mirror", snapshot_file="snap.jsonl.gz", snapshot_sha256="a" * 64)
LIVE = Source(kind="live", arxiv_url="http://127.0.0.1:1/api/query")
TODAY = dt.date(2026, 11, 22)


def paper(aid: str, version: int = 1, day: str = "2025-06-01", bm25: float = 5.0, title: str | None = None) -> Found:
    return Found(arxiv_id=aid, version=version, title=title or f"Paper {aid}", authors=["A. Author"],
                 submitted=dt.date.fromisoformat(day), categories=["cs.CL"], abstract="abstract text",
                 bm25=bm25)


class FakeBackend:
    """Returns scripted papers per query text; records the windows it was asked for."""

    def __init__(self, by_query: dict[str, list[Found]], fail_for: set[str] = frozenset()):
        self.by_query, self.fail_for, self.calls = by_query, fail_for, []

    def search(self, query, *, since, until, categories, query_index=0):
        self.calls.append((query.text, since, until))
        if query.text in self.fail_for:
            raise RuntimeError(f"backend down for {query.text!r}")
        return [Found(**{**p.__dict__, "matched_queries": [query_index]}) for p in self.by_query.get(query.text, [])]


@pytest.fixture
def embed_calls(monkeypatch):
    """Deterministic stand-in for MiniLM (the real model is exercised in test_real_embedder...)."""
    calls: list[list[str]] = []

    def fake(statement, papers):
        calls.append([p.arxiv_id for p in papers])
        return [0.1 * (int(p.arxiv_id[-1]) % 10) for p in papers]

    monkeypatch.setattr(rank, "semantic_scores", fake)
    return calls


def opts(**kw) -> FetchOptions:
    return FetchOptions(**{"today": TODAY, **kw})


def test_first_fetch_ranks_dedupes_and_filters_window(tmp_path, embed_calls):
    claim = make_claim("c-one", ["alpha beta", "gamma delta"], since="2025-01-01")
    backend = FakeBackend({
        "alpha beta": [paper("2501.00001", bm25=9), paper("2501.00002", bm25=1), paper("2401.00009", day="2024-05-01")],
        "gamma delta": [paper("2501.00001", version=3, bm25=4), paper("2501.00003", bm25=3),
                        paper("2410.05229", day="2025-02-01")],  # the claim's own anchor: never a candidate
    })
    report = run_fetch(tmp_path, [claim], backend, MIRROR, opts(top_n=2))
    assert report.wrote and report.outcomes[0].status == "updated"
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    assert entry.retrieved == 3 and entry.added == 3
    assert set(entry.seen) == {"2501.00001", "2501.00002", "2501.00003"}
    assert all(v == TODAY for v in entry.seen.values())
    # fake semantic = 0.1 * last digit; bm25 best-of-queries; combined per rank.combined
    assert [c.arxiv_id for c in entry.candidates] == ["2501.00001", "2501.00003"]  # 00002 cut by top_n
    one, three = entry.candidates
    assert (one.version, one.queries, one.bm25, one.semantic) == (3, [0, 1], 9.0, 0.1)
    assert one.combined == pytest.approx(0.55) and three.combined == pytest.approx(0.5 * 0.60206 + 0.15, abs=1e-4)
    assert one.url == "https://arxiv.org/abs/2501.00001" and one.submitted == dt.date(2025, 6, 1)
    assert backend.calls[0][1:] == (dt.date(2025, 1, 1), TODAY)


def test_second_mirror_fetch_with_nothing_new_adds_nothing(tmp_path, embed_calls):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend({"alpha beta": [paper("2501.00001"), paper("2501.00002")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts())
    path = tmp_path / SNAPSHOT_PATH
    before = path.read_bytes()
    n_calls, n_embeds = len(backend.calls), len(embed_calls)
    report = run_fetch(tmp_path, [claim], backend, MIRROR, opts())
    assert not report.wrote and report.outcomes[0].status == "unchanged"
    assert path.read_bytes() == before
    assert len(backend.calls) == n_calls and len(embed_calls) == n_embeds  # no search, no model


def test_new_mirror_snapshot_scores_only_new_papers_and_keeps_first_seen(tmp_path, embed_calls):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend({"alpha beta": [paper("2501.00001"), paper("2501.00002")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts(today=dt.date(2026, 1, 1)))
    backend.by_query["alpha beta"] = [paper("2501.00001", version=2), paper("2501.00002"), paper("2501.00004")]
    newer = MIRROR.model_copy(update={"snapshot_sha256": "b" * 64})
    report = run_fetch(tmp_path, [claim], backend, newer, opts())
    assert report.outcomes[0].added == 1
    assert embed_calls[-1] == ["2501.00004"]
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    by_id = {c.arxiv_id: c for c in entry.candidates}
    assert by_id["2501.00001"].version == 2
    assert by_id["2501.00001"].first_seen == dt.date(2026, 1, 1)
    assert by_id["2501.00004"].first_seen == TODAY


def test_live_fetch_starts_a_week_before_the_last_one(tmp_path, embed_calls, monkeypatch):
    monkeypatch.setattr(rank, "pool_bm25", lambda queries, papers: [1.0] * len(papers))
    claim = make_claim("c-one", ["alpha beta"], since="2024-01-01")
    backend = FakeBackend({"alpha beta": [paper("2501.00001")]})
    run_fetch(tmp_path, [claim], backend, LIVE, opts(mode="live", today=dt.date(2026, 11, 1)))
    run_fetch(tmp_path, [claim], backend, LIVE, opts(mode="live"))
    assert backend.calls[0][1] == dt.date(2024, 1, 1)
    assert backend.calls[1][1] == dt.date(2026, 10, 25)


def test_changed_queries_rescore_everything_but_keep_first_seen(tmp_path, embed_calls):
    backend = FakeBackend({"alpha beta": [paper("2501.00001")], "alpha gamma": [paper("2501.00001")]})
    run_fetch(tmp_path, [make_claim("c-one", ["alpha beta"])], backend, MIRROR, opts(today=dt.date(2026, 1, 1)))
    run_fetch(tmp_path, [make_claim("c-one", ["alpha gamma"])], backend, MIRROR, opts())
    assert embed_calls == [["2501.00001"], ["2501.00001"]]
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    assert entry.candidates[0].first_seen == dt.date(2026, 1, 1) and entry.added == 0


def test_failed_claim_keeps_its_last_good_entry(tmp_path, embed_calls):
    good = make_claim("c-good", ["alpha beta"])
    flaky = make_claim("c-flaky", ["gamma delta"])
    backend = FakeBackend({"alpha beta": [paper("2501.00001")], "gamma delta": [paper("2501.00002")]})
    run_fetch(tmp_path, [good, flaky], backend, MIRROR, opts())
    before = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-flaky"]
    backend.by_query["alpha beta"].append(paper("2501.00003"))
    backend.fail_for = {"gamma delta"}
    report = run_fetch(tmp_path, [good, flaky], backend, MIRROR.model_copy(update={"snapshot_sha256": "c" * 64}), opts())
    assert [o.claim_id for o in report.failed] == ["c-flaky"]
    assert "backend down" in report.failed[0].error
    snap = read_snapshot(tmp_path / SNAPSHOT_PATH)
    assert snap.claims["c-flaky"] == before
    assert "2501.00003" in snap.claims["c-good"].seen


def test_crash_while_writing_leaves_old_snapshot_whole(tmp_path, embed_calls, monkeypatch):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend({"alpha beta": [paper("2501.00001")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts())
    path = tmp_path / SNAPSHOT_PATH
    before = path.read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    backend.by_query["alpha beta"].append(paper("2501.00002"))
    with pytest.raises(OSError, match="disk full"):
        run_fetch(tmp_path, [claim], backend, MIRROR.model_copy(update={"snapshot_sha256": "d" * 64}), opts())
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["snapshot.json"]


def test_snapshot_holds_no_abstracts(tmp_path, embed_calls):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend({"alpha beta": [paper("2501.00001")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts())
    text = (tmp_path / SNAPSHOT_PATH).read_text()
    assert "abstract text" not in text and "abstract" not in json.loads(text)["claims"]["c-one"]["candidates"][0]


def test_combined_score_rule():
    assert rank.combined(10.0, 0.5, 10.0) == 0.75
    assert rank.combined(0.0, -0.2, 10.0) == 0.0
    assert rank.combined(5.0, 0.0, 0.0) == 0.0
    assert 0.5 < rank.combined(1.0, 1.0, 1000.0) < 0.6  # log scale: a huge max does not zero the rest


def test_pool_bm25_scores_quorum_matches_only():
    from fetch.query import parse_query

    papers = [paper("2501.00001", title="execution of programs by language models"),
              paper("2501.00002", title="protein folding")]
    papers[0].abstract = papers[1].abstract = ""
    scores = rank.pool_bm25([parse_query("program execution language")], papers)
    assert scores[0] > 0 and scores[1] == 0


def test_real_embedder_prefers_the_related_paper():
    """The shipped all-MiniLM-L6-v2, offline: a related title must score above an unrelated one."""
    rank.embedder.cache_clear()
    a = paper("2501.00001", title="Language models fail to execute multi-step numerical procedures")
    b = paper("2501.00002", title="A survey of coral reef fish populations")
    a.abstract = b.abstract = ""
    s = rank.semantic_scores("LLMs cannot carry out iterative computations step by step.", [a, b])
    assert s[0] > s[1] + 0.2
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
