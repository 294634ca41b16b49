"""Semantic Scholar: real recorded cassettes (vcrpy, committed fixtures) and faults from a local server."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import vcr
from semanticscholar.SemanticScholarException import BadQueryParametersException

from fetch.s2_client import S2Config, S2Error, S2Source
from fetch_support import fixture_dir
from fetch_support.s2_server import S2Server


def _query_minus_paging(r1, r2):
    """paper-qa recorded /search/match without offset/limit; the package adds them."""
    drop = {"offset", "limit"}
    q1 = sorted((k, v) for k, v in parse_qsl(urlsplit(r1.uri).query) if k not in drop)
    q2 = sorted((k, v) for k, v in parse_qsl(urlsplit(r2.uri).query) if k not in drop)
    assert q1 == q2


def cassette(*parts: str, loose: bool = False):
    path = fixture_dir("semanticscholar").joinpath(*parts)
    v = vcr.VCR(record_mode="none")
    if loose:
        v.register_matcher("query_minus_paging", _query_minus_paging)
        return v.use_cassette(str(path), match_on=["method", "scheme", "host", "port", "path", "query_minus_paging"])
    return v.use_cassette(str(path))


def s2(**kw) -> S2Source:
    cfg = dict(min_interval_seconds=0.0, backoff_seconds=0.01, backoff_max_seconds=0.05)
    cfg.update(kw)
    return S2Source(S2Config(**cfg))


def test_paper_lookup_replayed():
    with cassette("semanticscholar-py", "test_get_paper.yaml") as cas:
        p = s2().paper("10.1093/mind/lix.236.433", fields=["title"])
    assert p.title == "Computing Machinery and Intelligence"
    assert p.paperId == "2d5673caa9e6af3a7b82a43f19ee920992db07ad"
    assert cas.all_played


def test_citations_walk_every_recorded_page():
    with cassette("semanticscholar-py", "test_get_paper_citations.yaml") as cas:
        papers = list(s2(max_citations=5000).iter_citations("CorpusID:14514057", fields=["title"]))
    assert cas.play_count == 19 and cas.all_played
    assert len(papers) == 1881
    assert papers[0].title.startswith("We\u2019ve got you covered!")


def test_citing_without_dates_counts_none_as_newer():
    with cassette("semanticscholar-py", "test_get_paper_citations.yaml"):
        found, newer = s2(max_citations=5000).citing("CorpusID:14514057", dt.date(2020, 1, 1), fields=["title"])
    assert (found, newer) == ([], 0)  # no date asked for, so none can be shown to be newer


def test_404_means_unknown_paper():
    with cassette("semanticscholar-py", "test_not_found.yaml"):
        assert s2().paper("0", fields=list("title")) is None


def test_400_is_the_packages_bad_query_error():
    with cassette("semanticscholar-py", "test_bad_query_parameters.yaml"):
        with pytest.raises(BadQueryParametersException, match="Unrecognized or unsupported fields"):
            s2().paper("10.1093/mind/lix.236.433", fields=["unknown"])


def test_403_names_the_api_key():
    ids = ["CorpusId:470667", "10.2139/ssrn.2250500", "0f40b1f08821e22e859c6050916cec3667778613"]
    with cassette("semanticscholar-py", "test_debug.yaml"):
        with pytest.raises(S2Error, match="HTTP 403.*SEMANTIC_SCHOLAR_API_KEY"):
            s2(api_key="F@k3K3y").client.get_papers(ids)


def test_empty_search_is_empty():
    with cassette("semanticscholar-py", "test_empty_paginated_results.yaml"):
        assert s2().search_titles("n0 r3sult s3arch t3rm") == []


def test_anchor_known_by_title_gets_citation_count_and_arxiv_id():
    fields = ["authors", "citationCount", "citationStyles", "externalIds", "influentialCitationCount",
              "isOpenAccess", "journal", "openAccessPdf", "publicationDate", "publicationTypes",
              "title", "url", "venue", "year"]
    with cassette("paper-qa", "test_arxiv_doi_is_used_when_available.yaml", loose=True):
        p = s2().match_title("Attention is All you Need", fields=fields)
    assert p.citationCount == 136941
    assert p.externalIds["ArXiv"] == "1706.03762"


# ----------------------------------------------------------------- faults, local server

ANCHOR = {"paperId": "abc123", "title": "Anchor", "citationCount": 42,
          "externalIds": {"ArXiv": "2410.05229"}, "publicationDate": "2024-10-07"}
CITES = {"offset": 0, "data": [
    {"citingPaper": {"paperId": "p1", "title": "Newer on arXiv", "externalIds": {"ArXiv": "2501.00001"},
                     "publicationDate": "2025-01-05", "year": 2025, "authors": [{"authorId": "1", "name": "A. Author"}],
                     "abstract": "text"}},
    {"citingPaper": {"paperId": "p2", "title": "Newer, not on arXiv", "externalIds": {},
                     "publicationDate": None, "year": 2025, "authors": [], "abstract": None}},
    {"citingPaper": {"paperId": "p3", "title": "Older", "externalIds": {"ArXiv": "2301.00001"},
                     "publicationDate": "2023-02-01", "year": 2023, "authors": [], "abstract": None}},
    {"citingPaper": {"paperId": "p4", "title": "Undated", "externalIds": {"ArXiv": "2502.00002"},
                     "publicationDate": None, "year": None, "authors": [], "abstract": None}},
]}
ROUTES = {"/graph/v1/paper/arXiv:2410.05229": ANCHOR, "/graph/v1/paper/abc123/citations": CITES}


@pytest.fixture
def server():
    with S2Server(ROUTES) as srv:
        yield srv


def test_anchor_counts_and_newer_citers(server):
    info, found = s2(base_url=server.url).anchor("2410.05229", dt.date(2024, 1, 1))
    assert (info.citation_count, info.citing_since, info.paper_id) == (42, 2, "abc123")
    assert [(f.arxiv_id, f.submitted, f.origin) for f in found] == [("2501.00001", dt.date(2025, 1, 5), "cites-anchor")]
    assert found[0].authors == ["A. Author"]


def test_api_key_is_sent_on_every_request_including_citation_pages(server):
    s2(base_url=server.url, api_key="k-123").anchor("2410.05229", dt.date(2024, 1, 1))
    assert len(server.log) == 2
    assert all(h.get("x-api-key") == "k-123" for _, _, h in server.log)


def test_429_with_retry_after_then_success(server):
    server.faults = ["429:1"]
    t0 = time.monotonic()
    p = s2(base_url=server.url, backoff_max_seconds=2.0).paper("arXiv:2410.05229")
    assert p.citationCount == 42
    assert server.log[1][0] - server.log[0][0] >= 0.9 and time.monotonic() - t0 < 5


@pytest.mark.parametrize("fault", ["503", "500", "garbage", "sleep:1.5"])
def test_transient_faults_are_retried(server, fault):
    server.faults = [fault]
    p = s2(base_url=server.url, timeout_seconds=0.5).paper("arXiv:2410.05229")
    assert p.citationCount == 42 and len(server.log) == 2


def test_rate_limit_exhaustion_fails_loudly(server):
    server.faults = ["429"] * 3
    with pytest.raises(S2Error, match="after 3 attempts: HTTP 429"):
        s2(base_url=server.url, attempts=3).paper("arXiv:2410.05229")


def test_requests_are_spaced(server):
    s2(base_url=server.url, min_interval_seconds=0.3).anchor("2410.05229", dt.date(2024, 1, 1))
    (t1, _, _), (t2, _, _) = server.log
    assert t2 - t1 >= 0.29


def test_config_from_env(monkeypatch):
    monkeypatch.setenv("CODEGAP_S2_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SEMANTIC_SCHOLAR_API_KEY", "sekrit")
    cfg = S2Config.from_env()
    assert (cfg.base_url, cfg.api_key) == ("http://127.0.0.1:9", "sekrit")
