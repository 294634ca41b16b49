"""The live arXiv path, replayed: real recorded responses (committed fixtures) through the real `arxiv` client."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs

import arxiv
import pytest

from fetch.arxiv_client import ArxivConfig, ArxivFetchError, ArxivQueryRejected, ArxivSource
from fetch.query import parse_query
from fetch_support import fixture_dir
from fetch_support.arxiv_server import ArxivReplayServer


@pytest.fixture
def server():
    with ArxivReplayServer(fixture_dir("arxiv-api")) as srv:
        yield srv


def source(srv, **kw) -> ArxivSource:
    cfg = dict(base_url=srv.url, delay_seconds=0.0, backoff_seconds=0.01, backoff_max_seconds=0.05,
               timeout_seconds=2.0, page_size=10)
    cfg.update(kw)
    return ArxivSource(ArxivConfig(**cfg))


def test_paging_walks_recorded_pages_in_order(server):
    src = source(server)
    found = src.results(arxiv.Search(query="testing", max_results=60))
    assert len(found) == 60
    starts = [parse_qs(q)["start"][0] for _, q in server.replay.log]
    assert starts == ["0", "10", "20", "30", "40", "50"]
    assert len({f.arxiv_id for f in found}) == 60
    first = found[0]
    assert first.arxiv_id == "2202.12139" and first.version == 1
    assert first.title.startswith("Testing Deep Learning Models")
    assert first.submitted == dt.date(2022, 2, 24)
    assert first.categories[:2] == ["cs.SE", "cs.LG"]
    assert first.url == "https://arxiv.org/abs/2202.12139"


def test_paging_agrees_with_one_big_page(server):
    paged = source(server).results(arxiv.Search(query="testing", max_results=60))
    whole = source(server, page_size=100).results(arxiv.Search(query="testing", max_results=100))
    assert [f.arxiv_id for f in paged] == [f.arxiv_id for f in whole[:60]]


@pytest.mark.parametrize(
    "ids, expected",
    [
        (["2104.12255v1"], [("2104.12255", 1)]),
        (["hep-ex/0406020v1"], [("hep-ex/0406020", 1)]),
        (["quant-ph/0201082v1"], [("quant-ph/0201082", 1)]),
        (["1707.08567"], [("1707.08567", 1)]),
        (["astro-ph/0601001"], [("astro-ph/0601001", 1)]),
        (["1605.08386"], [("1605.08386", 1)]),
        (["0808.05394"], []),  # no such paper: empty feed
        (["0808.05394", "1707.08567"], [("1707.08567", 1)]),
    ],
)
def test_id_lookups(server, ids, expected):
    got = source(server, page_size=100).lookup(ids)
    assert [(f.arxiv_id, f.version) for f in got.values()] == expected


def test_empty_result_is_empty_not_an_error(server):
    assert source(server, page_size=100).lookup(["0000.0000"]) == {}


def test_http_400_error_feed_gives_arxivs_message(server):
    with pytest.raises(ArxivQueryRejected) as info:
        source(server, page_size=100).lookup(["abc"])
    assert "HTTP 400" in str(info.value)
    assert "incorrect id format for abc" in str(info.value)
    assert len(server.replay.log) == 1  # a 400 is not retried


def test_5xx_then_success_is_retried(server):
    server.replay.faults = ["503", "502"]
    got = source(server, page_size=100).lookup(["2104.12255v1"])
    assert list(got) == ["2104.12255"]
    assert len(server.replay.log) == 3


def test_429_honours_retry_after(server):
    server.replay.faults = ["429:1"]
    t0 = time.monotonic()
    got = source(server, page_size=100, backoff_max_seconds=2.0).lookup(["2104.12255v1"])
    assert len(got) == 1
    (t_first, _), (t_second, _) = server.replay.log
    assert t_second - t_first >= 0.9
    assert time.monotonic() - t0 < 5


def test_timeout_is_retried(server):
    server.replay.faults = ["sleep:1.5"]
    got = source(server, page_size=100, timeout_seconds=0.5).lookup(["2104.12255v1"])
    assert len(got) == 1 and len(server.replay.log) == 2


def test_truncated_atom_is_retried_not_parsed_partially(server):
    server.replay.faults = ["truncate"]
    got = source(server, page_size=10).results(arxiv.Search(query="testing", max_results=10))
    assert len(got) == 10 and len(server.replay.log) == 2


def test_persistent_failure_raises_after_attempts(server):
    server.replay.faults = ["500"] * 3
    with pytest.raises(ArxivFetchError, match="after 3 attempts: HTTP 500"):
        source(server, page_size=100, attempts=3).lookup(["2104.12255v1"])
    assert len(server.replay.log) == 3


def test_requests_are_spaced_by_delay(server):
    src = source(server, delay_seconds=0.3)
    src.results(arxiv.Search(query="testing", max_results=30))
    times = [t for t, _ in server.replay.log]
    assert len(times) == 3
    assert all(b - a >= 0.29 for a, b in zip(times, times[1:], strict=False))


def test_claim_search_sends_quorum_categories_window_and_date_sort(server):
    server.replay.fallback = server.replay.responses_dir / "q_testing_s0_m100_cfe7536492ca.xml"
    src = source(server, page_size=100, max_results_per_query=100)
    got = src.search(parse_query('"unit tests" generation LLM'), since=dt.date(2024, 1, 1),
                     until=dt.date(2026, 11, 22), categories=["cs.SE", "cs.LG"], query_index=2)
    assert len(got) == 100 and all(f.matched_queries == [2] for f in got)
    params = parse_qs(server.replay.log[0][1])
    q = params["search_query"][0]
    assert 'all:"unit tests"' in q and "all:generation" in q and "all:llm" in q
    assert "(cat:cs.SE OR cat:cs.LG)" in q
    assert "submittedDate:[202401010000 TO 202611222359]" in q
    assert params["sortBy"] == ["submittedDate"] and params["sortOrder"] == ["descending"]


def test_base_url_comes_from_env(monkeypatch):
    monkeypatch.setenv("CODEGAP_ARXIV_URL", "http://127.0.0.1:9/api/query")
    assert ArxivConfig.from_env().base_url == "http://127.0.0.1:9/api/query"


def test_older_2016_feed_format_parses(server):
    """2016 responses declare the opensearch namespace per element; still a complete feed."""
    older = fixture_dir("arxiv-api-2016") / "sq_au_del_maestro_AND_ti_checkerboard.xml"
    server.replay.fallback = older
    got = source(server, page_size=10).results(arxiv.Search(query="au:del_maestro AND ti:checkerboard",
                                                            max_results=10))
    assert got and all(any("Del Maestro" in a for a in f.authors) for f in got)
    assert all("checkerboard" in f.title.lower() for f in got)


OS = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'


@pytest.mark.parametrize("body, why", [
    (f'<feed xmlns="http://www.w3.org/2005/Atom" {OS}><title>q</title></feed>', "no opensearch:totalResults"),
    (f'<feed xmlns="http://www.w3.org/2005/Atom" {OS}><opensearch:totalResults>5</opensearch:totalResults>'
     '<opensearch:startIndex>0</opensearch:startIndex></feed>', "no entries although totalResults=5"),
    (f'<feed xmlns="http://www.w3.org/2005/Atom" {OS}><opensearch:totalResults>1</opensearch:totalResults>'
     '<entry><title>A paper without an id</title></entry></feed>', "an entry has no arXiv id"),
])
def test_suspicious_feeds_are_retried_then_fail_never_taken_as_empty(server, tmp_path, body, why):
    """Issue 13: an empty or id-less answer must not count as success (it would move the live window)."""
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0" encoding="UTF-8"?>' + body)
    server.replay.fallback = feed
    with pytest.raises(ArxivFetchError, match=f"suspicious feed: {why}"):
        source(server, page_size=10, attempts=2).results(arxiv.Search(query="nothing recorded", max_results=10))
    assert len(server.replay.log) == 2


def test_or_search_sends_words_with_relevance_sort_and_quotes_phrases(server):
    server.replay.fallback = server.replay.responses_dir / "q_testing_s0_m100_cfe7536492ca.xml"
    got = source(server, page_size=100).search_or(("tool calling", "format"), since=dt.date(2025, 1, 1),
                                                  until=dt.date(2026, 11, 22), categories=["cs.CL"], limit=100)
    assert len(got) == 100 and all(f.matched_queries == [] for f in got)
    params = parse_qs(server.replay.log[0][1])
    assert params["search_query"][0].startswith('(all:"tool calling" OR all:format) AND (cat:cs.CL)')
    assert params["sortBy"] == ["relevance"]


def test_title_search_sends_ti_fields_with_relevance_sort(server):
    server.replay.fallback = server.replay.responses_dir / "q_testing_s0_m100_cfe7536492ca.xml"
    got = source(server, page_size=100).search_title(("tool calling", "format"), since=dt.date(2025, 1, 1),
                                                     until=dt.date(2026, 11, 22), categories=["cs.CL"], limit=100)
    assert len(got) == 100
    params = parse_qs(server.replay.log[0][1])
    assert params["search_query"][0].startswith('(ti:"tool calling" OR ti:format) AND (cat:cs.CL)')
    assert params["sortBy"] == ["relevance"]
