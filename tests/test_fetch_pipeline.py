"""Fused ranking, incremental fetching, the embedding cache, failure handling and atomic writes."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from fetch import rank
from fetch.embed import EmbeddingStore
from fetch.pipeline import FetchOptions, run_fetch
from fetch.records import Found
from fetch.snapshot import SNAPSHOT_PATH, AnchorInfo, ClaimEntry, Snapshot, Source, read_snapshot, write_snapshot
from fetch_support.claims import make_claim
from fetch_support.fake_embed import FakeEncoder

MIRROR = Source(kind="mirror", snapshot_file="snap.jsonl.gz", snapshot_sha256="a" * 64)
LIVE = Source(kind="live", arxiv_url="http://127.0.0.1:1/api/query")
TODAY = dt.date(2026, 11, 22)


def paper(aid: str, version: int = 1, day: str = "2025-06-01", title: str | None = None, abstract: str = "") -> Found:
    return Found(arxiv_id=aid, version=version, title=title or f"Paper {aid}", authors=["A. Author"],
                 submitted=dt.date.fromisoformat(day), categories=["cs.CL"],
                 abstract=abstract or "abstract text about something", bm25=1.0)


class FakeBackend:
    """Scripted ranked lists per quorum query, per OR word list and per title list; records every call."""

    ranks_lists = True

    def __init__(self, quorum: dict[str, list[Found]] | None = None, ors: list[Found] | None = None,
                 fail_for: set[str] = frozenset(), known: dict[str, Found] | None = None,
                 titles: list[Found] | None = None):
        self.quorum, self.ors, self.fail_for = quorum or {}, ors or [], set(fail_for)
        self.titles = titles or []
        self.known = known or {}
        self.calls: list[tuple] = []

    def search(self, query, *, since, until, categories, query_index=0, limit=500):
        self.calls.append(("quorum", query.text, since, until))
        if query.text in self.fail_for:
            raise RuntimeError(f"backend down for {query.text!r}")
        return [Found(**{**p.__dict__, "matched_queries": [query_index]}) for p in self.quorum.get(query.text, [])]

    def search_or(self, terms, *, since, until, categories, limit=300):
        self.calls.append(("or", terms, since, until))
        return [Found(**p.__dict__) for p in self.ors]

    def search_title(self, terms, *, since, until, categories, limit=200):
        self.calls.append(("title", terms, since, until))
        return [Found(**p.__dict__) for p in self.titles]

    def lookup(self, ids):
        self.calls.append(("lookup", tuple(ids)))
        return {i: self.known[i] for i in ids if i in self.known}


@pytest.fixture
def enc():
    return FakeEncoder()


@pytest.fixture
def store(tmp_path, enc):
    return EmbeddingStore(tmp_path / "emb", encoder=enc)


def opts(**kw) -> FetchOptions:
    return FetchOptions(**{"today": TODAY, **kw})


def test_first_fetch_fuses_lists_dedupes_and_filters_window(tmp_path, store):
    claim = make_claim("c-one", ["alpha beta", "gamma delta"], since="2025-01-01")
    backend = FakeBackend(quorum={
        "alpha beta": [paper("2501.00001"), paper("2501.00002"), paper("2401.00009", day="2024-05-01")],
        "gamma delta": [paper("2501.00001", version=3), paper("2501.00003"),
                        paper("2410.05229", day="2025-02-01")],  # the claim's own anchor: never a candidate
    })
    report = run_fetch(tmp_path, [claim], backend, MIRROR, opts(top_n=2), store=store)
    assert report.wrote and report.outcomes[0].status == "updated"
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    assert entry.retrieved == 3 and entry.added == 2
    one = entry.candidates[0]
    assert one.arxiv_id == "2501.00001"  # first in both quorum lists: fused score is highest
    assert (one.version, one.queries) == (3, [0, 1])
    assert one.ranks["quorum:0"] == 1 and one.ranks["quorum:1"] == 1 and "dense" in one.ranks
    dense = {"dense", "dense:statement", "dense:queries", "dense:anchors"}
    assert set(one.ranks) == {"quorum:0", "quorum:1"} | dense  # the OR and title lists came back empty
    assert one.score == pytest.approx(2 / 61 + sum(1 / (60 + one.ranks[n]) for n in dense), abs=1e-6)
    assert [c.arxiv_id for c in entry.candidates] == ["2501.00001", entry.candidates[1].arxiv_id]
    assert len(entry.candidates) == 2 and set(entry.seen) == {c.arxiv_id for c in entry.candidates}
    assert {li.name for li in entry.lists} >= {"quorum:0", "quorum:1", "or:statement", "title:query:0",
                                               "title:query:1", "title:statement", "dense", "dense:anchors"}
    assert {li.kind for li in entry.lists} == {"quorum", "or", "title", "dense"}
    titles = [c for c in backend.calls if c[0] == "title"]
    assert [c[1] for c in titles] == [("alpha", "beta"), ("gamma", "delta"), rank.or_terms(claim.statement)]
    assert one.url == "https://arxiv.org/abs/2501.00001" and one.first_seen == TODAY
    assert all(c[2:] == (dt.date(2025, 1, 1), TODAY) for c in backend.calls if c[0] == "quorum")


def test_rank_not_raw_bm25_decides_a_narrow_querys_papers_survive():
    """Issue 11: a broad query's huge BM25 values must not crowd out the narrow query's good papers."""
    broad = [f"b{i:03d}" for i in range(500)]
    narrow = [f"n{i:02d}" for i in range(20)]
    fused = rank.rrf({"broad": broad, "narrow": narrow})
    order = sorted(fused, key=lambda a: -fused[a])
    assert order.index("n12") < 30  # 13th of its own list stays near the top of the fusion
    assert fused["n12"] > fused["b040"]


def test_second_mirror_fetch_with_nothing_new_searches_and_embeds_nothing(tmp_path, store, enc):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001"), paper("2501.00002")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts(), store=store)
    path = tmp_path / SNAPSHOT_PATH
    before = path.read_bytes()
    n_calls, n_enc = len(backend.calls), len(enc.calls)
    report = run_fetch(tmp_path, [claim], backend, MIRROR, opts(), store=store)
    assert not report.wrote and report.outcomes[0].status == "unchanged"
    assert path.read_bytes() == before
    assert len(backend.calls) == n_calls and len(enc.calls) == n_enc  # no search, no model


def test_embeddings_persist_on_disk_so_a_rerun_embeds_only_new_papers(tmp_path, enc):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001"), paper("2501.00002")]})
    first = EmbeddingStore(tmp_path / "emb", encoder=enc)
    run_fetch(tmp_path, [claim], backend, MIRROR, opts(today=dt.date(2026, 1, 1)), store=first)
    assert first.computed == 2
    n_first = len(enc.calls)
    backend.quorum["alpha beta"] = [paper("2501.00001", version=2), paper("2501.00002"), paper("2501.00004")]
    newer = MIRROR.model_copy(update={"snapshot_sha256": "b" * 64})
    second = EmbeddingStore(tmp_path / "emb", encoder=enc)  # a new process: only the file carries over
    report = run_fetch(tmp_path, [claim], backend, newer, opts(), store=second)
    assert second.computed == 2 and report.embedded == 2  # v2 of 00001 (new text) and 00004
    later = [t for c in enc.calls[n_first:] for t in c if t.startswith("Paper ")]
    assert sorted(t.split(".")[0] + "." + t.split(".")[1] for t in later) == ["Paper 2501.00001", "Paper 2501.00004"]
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    by_id = {c.arxiv_id: c for c in entry.candidates}
    assert by_id["2501.00001"].version == 2
    assert by_id["2501.00001"].first_seen == dt.date(2026, 1, 1) and by_id["2501.00004"].first_seen == TODAY


def test_forced_rerank_with_same_result_leaves_the_file_alone(tmp_path, store):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001"), paper("2501.00002")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts(), store=store)
    before = (tmp_path / SNAPSHOT_PATH).read_bytes()
    report = run_fetch(tmp_path, [claim], backend, MIRROR, opts(force=True), store=store)
    assert report.outcomes[0].status == "unchanged" and not report.wrote
    assert (tmp_path / SNAPSHOT_PATH).read_bytes() == before


def test_changed_queries_rerank_but_keep_first_seen(tmp_path, store):
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001")], "alpha gamma": [paper("2501.00001")]})
    run_fetch(tmp_path, [make_claim("c-one", ["alpha beta"])], backend, MIRROR, opts(today=dt.date(2026, 1, 1)),
              store=store)
    run_fetch(tmp_path, [make_claim("c-one", ["alpha gamma"])], backend, MIRROR, opts(), store=store)
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    assert entry.candidates[0].first_seen == dt.date(2026, 1, 1) and entry.added == 0
    assert entry.candidates[0].ranks.get("quorum:0") == 1


def live_entry(until: dt.date, cands=(), anchors=()) -> ClaimEntry:
    return ClaimEntry(fetched_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), source=LIVE,
                      since=dt.date(2024, 1, 1), until=until, fingerprint="x", retrieved=0, added=0,
                      candidates=list(cands), seen={}, anchors=list(anchors))


def test_live_fetch_starts_a_week_before_and_keeps_previous_candidates_in_the_pool(tmp_path, store):
    claim = make_claim("c-one", ["alpha beta"], since="2024-01-01")
    old = paper("2501.00001", title="alpha beta old favourite", abstract="alpha beta gamma")
    backend = FakeBackend(quorum={"alpha beta": [old]}, known={"2501.00001": old})
    backend.ranks_lists = False
    run_fetch(tmp_path, [claim], backend, LIVE, opts(mode="live", use_s2=False, today=dt.date(2026, 11, 1)),
              store=store)
    backend.quorum["alpha beta"] = [paper("2611.00002", day="2026-11-20", title="alpha beta new")]
    run_fetch(tmp_path, [claim], backend, LIVE, opts(mode="live", use_s2=False), store=store)
    quorum_calls = [c for c in backend.calls if c[0] == "quorum"]
    assert quorum_calls[0][2] == dt.date(2024, 1, 1) and quorum_calls[1][2] == dt.date(2026, 10, 25)
    assert ("lookup", ("2501.00001",)) in backend.calls
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    assert {c.arxiv_id for c in entry.candidates} == {"2501.00001", "2611.00002"}
    assert entry.until == TODAY


def test_live_empty_answer_is_suspicious_and_does_not_move_the_window(tmp_path, store):
    claim = make_claim("c-one", ["alpha beta"], since="2024-01-01")
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001")]}, known={"2501.00001": paper("2501.00001")})
    backend.ranks_lists = False
    run_fetch(tmp_path, [claim], backend, LIVE, opts(mode="live", use_s2=False, today=dt.date(2026, 11, 1)),
              store=store)
    before = (tmp_path / SNAPSHOT_PATH).read_bytes()
    backend.quorum, backend.known = {}, {}  # arXiv answers nothing at all, not even known papers
    report = run_fetch(tmp_path, [claim], backend, LIVE, opts(mode="live", use_s2=False), store=store)
    assert [o.claim_id for o in report.failed] == ["c-one"] and "SuspiciousAnswer" in report.failed[0].error
    assert (tmp_path / SNAPSHOT_PATH).read_bytes() == before
    assert read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"].until == dt.date(2026, 11, 1)


def test_live_without_s2_keeps_the_last_citation_counts(tmp_path, store):
    claim = make_claim("c-one", ["alpha beta"], since="2024-01-01")
    counted = AnchorInfo(key="2410.05229v1", title="An anchor", citation_count=42, citing_since=7,
                         s2_paper_id="abc", counted_on=dt.date(2026, 11, 1))
    write_snapshot(tmp_path / SNAPSHOT_PATH, Snapshot(claims={"c-one": live_entry(dt.date(2026, 11, 1),
                                                                                   anchors=[counted])}))
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001")]})
    backend.ranks_lists = False
    report = run_fetch(tmp_path, [claim], backend, LIVE, opts(mode="live", use_s2=False), store=store)
    assert report.wrote
    a = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"].anchors[0]
    assert (a.citation_count, a.citing_since, a.counted_on) == (42, 7, dt.date(2026, 11, 1))


def test_failed_claim_keeps_its_last_good_entry(tmp_path, store):
    good = make_claim("c-good", ["alpha beta"])
    flaky = make_claim("c-flaky", ["gamma delta"])
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001")], "gamma delta": [paper("2501.00002")]})
    run_fetch(tmp_path, [good, flaky], backend, MIRROR, opts(), store=store)
    before = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-flaky"]
    backend.quorum["alpha beta"].append(paper("2501.00003"))
    backend.fail_for = {"gamma delta"}
    report = run_fetch(tmp_path, [good, flaky], backend, MIRROR.model_copy(update={"snapshot_sha256": "c" * 64}),
                       opts(), store=store)
    assert [o.claim_id for o in report.failed] == ["c-flaky"]
    assert "backend down" in report.failed[0].error
    snap = read_snapshot(tmp_path / SNAPSHOT_PATH)
    assert snap.claims["c-flaky"] == before
    assert "2501.00003" in snap.claims["c-good"].seen


def test_crash_while_writing_leaves_old_snapshot_whole(tmp_path, store, monkeypatch):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts(), store=store)
    path = tmp_path / SNAPSHOT_PATH
    before = path.read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    backend.quorum["alpha beta"].append(paper("2501.00002"))
    with pytest.raises(OSError, match="disk full"):
        run_fetch(tmp_path, [claim], backend, MIRROR.model_copy(update={"snapshot_sha256": "d" * 64}), opts(),
                  store=store)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["snapshot.json"]


def test_snapshot_holds_no_abstracts(tmp_path, store):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001", abstract="a very distinctive abstract")]})
    run_fetch(tmp_path, [claim], backend, MIRROR, opts(), store=store)
    text = (tmp_path / SNAPSHOT_PATH).read_text()
    assert "distinctive" not in text and "abstract" not in json.loads(text)["claims"]["c-one"]["candidates"][0]


def test_pool_rank_scores_matches_only_and_orders_by_bm25():
    from fetch.query import parse_query

    papers = [paper("2501.00001", title="execution of programs by language models", abstract="program execution"),
              paper("2501.00002", title="protein folding", abstract="proteins"),
              paper("2501.00003", title="language models", abstract="proteins")]
    specs = [rank.ListSpec("quorum:0", "quorum", query=parse_query("program execution language"), query_index=0),
             rank.ListSpec("or:statement", "or", terms=("program", "execution"))]
    lists = rank.pool_rank(specs, papers)
    assert lists["quorum:0"] == ["2501.00001"]
    assert lists["or:statement"][0] == "2501.00001" and "2501.00002" not in lists["or:statement"]


def test_title_list_counts_only_title_matches():
    """Issue 11: a title says what a paper is about; a title list must ignore abstract-only matches."""
    papers = [paper("2501.00001", title="counterfactual tasks expose memorized reasoning", abstract="puzzles"),
              paper("2501.00002", title="a method for retrieval", abstract="counterfactual tasks and memorized answers"),
              paper("2501.00003", title="memorized answers", abstract="unrelated")]
    specs = [rank.ListSpec("title:query:0", "title", terms=("counterfactual", "memorized"), query_index=0)]
    lists = rank.pool_rank(specs, papers)
    assert lists["title:query:0"] == ["2501.00001", "2501.00003"]


def test_title_lists_from_the_backend_are_fused(tmp_path, store):
    claim = make_claim("c-one", ["alpha beta"])
    backend = FakeBackend(quorum={"alpha beta": [paper("2501.00001"), paper("2501.00002")]},
                          titles=[paper("2501.00002"), paper("2501.00009")])
    run_fetch(tmp_path, [claim], backend, MIRROR, opts(), store=store)
    entry = read_snapshot(tmp_path / SNAPSHOT_PATH).claims["c-one"]
    by = {c.arxiv_id: c for c in entry.candidates}
    assert by["2501.00002"].ranks["title:query:0"] == 1 and by["2501.00009"].ranks["title:statement"] == 2
    assert entry.candidates[0].arxiv_id == "2501.00002"  # in a quorum list and both title lists
    info = {li.name: li for li in entry.lists}
    assert info["title:query:0"].kind == "title" and info["title:query:0"].terms == ["alpha", "beta"]


def test_dense_lists_give_each_kind_of_reference_its_own_list():
    """A paper very close to one anchor ranks first in dense:anchors although its mean similarity is lower."""
    import numpy as np

    refs = rank.References("statement", ("q0", "q1"), ("anchor a", "anchor b"))
    ref_vecs = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    pool = np.array([[0.0, 0.0, 1.0], [0.8, 0.6, 0.0]], dtype=np.float32)  # p1 = anchor b; p2 = mostly statement
    lists, mean = rank.dense_lists(["p1", "p2"], pool, refs, ref_vecs)
    assert set(lists) == {"dense", "dense:statement", "dense:queries", "dense:anchors"}
    assert lists["dense"] == ["p2", "p1"] and lists["dense:statement"] == ["p2", "p1"]
    assert lists["dense:anchors"] == ["p1", "p2"]
    assert mean["p1"] == pytest.approx(0.2) and mean["p2"] == pytest.approx((3 * 0.8 + 0.6) / 5)
    no_anchor, _ = rank.dense_lists(["p1"], pool[:1], rank.References("s", ("q",), ()), ref_vecs[:2])
    assert "dense:anchors" not in no_anchor


def test_dense_scores_are_mean_cosine():
    import numpy as np

    pool = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    refs = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    assert rank.dense_scores(pool, refs).tolist() == pytest.approx([0.8, 0.4])


def test_real_embedder_prefers_the_related_paper(tmp_path):
    """The shipped all-MiniLM-L6-v2, offline: a related title must score above an unrelated one."""
    from fetch import embed

    embed.embedder.cache_clear()
    s = EmbeddingStore(tmp_path / "emb")
    a = paper("2501.00001", title="Language models fail to execute multi-step numerical procedures", abstract="")
    b = paper("2501.00002", title="A survey of coral reef fish populations", abstract="")
    vecs = s.vectors([a, b])
    ref = s.encode(["LLMs cannot carry out iterative computations step by step."])
    sims = rank.dense_scores(vecs, ref)
    assert sims[0] > sims[1] + 0.2
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    again = EmbeddingStore(tmp_path / "emb")
    assert np_close(again.vectors([a, b]), vecs) and again.computed == 0


def np_close(x, y) -> bool:
    import numpy as np

    return bool(np.allclose(x, y, atol=1e-6))
