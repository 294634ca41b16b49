"""`codegap fetch` / `codegap review` end to end on a small mirror of our own."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from urllib.parse import parse_qs

import pytest
import typer
from typer.testing import CliRunner

from fetch import embed
from fetch.cli import register
from fetch.snapshot import SNAPSHOT_PATH, read_snapshot
from fetch.view import load_for_book
from fetch_support.claims import claim_dict, write_claims
from fetch_support.fake_embed import FakeEncoder


@pytest.fixture
def app():
    a = typer.Typer()
    register(a)
    return a


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "encode", FakeEncoder())  # MiniLM itself: test_fetch_pipeline / test_fetch_mirror
    root = tmp_path / "repo"
    write_claims(root, [claim_dict("c-exec", ["program execution language models"], since="2025-01-01")])
    recs = []
    for i, (title, day) in enumerate([
        ("Language models and program execution traces", "Mon, 6 Jan 2025 10:00:00 GMT"),
        ("Program execution by language models, revisited", "Tue, 2 Dec 2024 10:00:00 GMT"),  # too old
        ("Protein folding with graph networks", "Wed, 8 Jan 2025 10:00:00 GMT"),  # off topic
    ], 1):
        recs.append({"id": f"2501.{i:05d}", "authors": "A. One, B. Two", "title": title, "categories": "cs.CL",
                     "abstract": title, "versions": [{"version": "v1", "created": day}], "authors_parsed": [],
                     "update_date": "2025-01-09"})
    snap = tmp_path / "mirror.jsonl.gz"
    with gzip.open(snap, "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in recs)
    monkeypatch.setenv("CODEGAP_ARXIV_SNAPSHOT", str(snap))
    monkeypatch.setenv("CODEGAP_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CODEGAP_FETCH_MODE", raising=False)
    return root


def test_fetch_then_fetch_again_then_review(app, repo):
    r = CliRunner().invoke(app, ["fetch", "--root", str(repo)])
    assert r.exit_code == 0, r.output
    assert "built the mirror index" in r.output and "c-exec" in r.output and "new candidates 1" in r.output
    snap = read_snapshot(repo / SNAPSHOT_PATH)
    assert [c.arxiv_id for c in snap.claims["c-exec"].candidates] == ["2501.00001"]
    r2 = CliRunner().invoke(app, ["fetch", "--root", str(repo), "--offline"])
    assert r2.exit_code == 0 and "unchanged" in r2.output and "nothing new" in r2.output
    assert "built the mirror index" not in r2.output

    r3 = CliRunner().invoke(app, ["review", "c-exec", "2501.00001v1", "qualifies", "--reason", "Only for toy programs.",
                                  "--root", str(repo)])
    assert r3.exit_code == 0, r3.output
    view = load_for_book(repo)["c-exec"]
    assert view.flag == "qualified by 1 newer paper"
    assert view.candidates[0].stance == "qualifies" and view.candidates[0].reason == "Only for toy programs."
    assert "Only for toy programs." in (repo / "literature" / "reviews.yaml").read_text()


def test_review_rejects_unknown_claim_and_bad_stance(app, repo):
    r = CliRunner().invoke(app, ["review", "nope", "2501.00001", "supports", "--reason", "x", "--root", str(repo)])
    assert r.exit_code != 0 and "no claim 'nope'" in r.output
    r = CliRunner().invoke(app, ["review", "c-exec", "2501.00001", "loves", "--reason", "x", "--root", str(repo)])
    assert r.exit_code != 0 and "stance" in r.output
    assert not (repo / "literature" / "reviews.yaml").exists()


def test_unknown_claim_for_fetch(app, repo):
    r = CliRunner().invoke(app, ["fetch", "--claim", "nope", "--root", str(repo)])
    assert r.exit_code != 0 and "no claim(s) nope" in r.output


def test_live_failure_exits_nonzero_naming_the_claim_and_keeps_snapshot(app, repo, monkeypatch):
    assert CliRunner().invoke(app, ["fetch", "--root", str(repo)]).exit_code == 0
    before = (repo / SNAPSHOT_PATH).read_bytes()
    from fetch.arxiv_client import ArxivConfig

    fast = ArxivConfig(base_url="http://127.0.0.1:9/api/query",  # nothing listens on port 9
                       attempts=2, backoff_seconds=0.01, delay_seconds=0.0)
    monkeypatch.setattr(ArxivConfig, "from_env", classmethod(lambda cls, **kw: fast))
    r = CliRunner().invoke(app, ["fetch", "--live", "--no-s2", "--root", str(repo)])
    assert r.exit_code == 1
    assert "c-exec" in r.output and "failed" in r.output and "connection failed" in r.output
    assert (repo / SNAPSHOT_PATH).read_bytes() == before


def test_live_fetch_end_to_end_against_local_arxiv_and_s2(app, repo, monkeypatch):
    """Real recorded arXiv feed + a local Semantic Scholar, through `codegap fetch --live`.

    The claim's anchor is 1707.08567, whose id look-up (for its abstract) is among the recordings.
    """
    cd = claim_dict("c-exec", ["program execution language models"], since="2025-01-01", anchor="1707.08567v1")
    cd["anchors"][0]["date"] = "2017-07-26"
    write_claims(repo, [cd])
    from fetch_support import fixture_dir
    from fetch_support.arxiv_server import ArxivReplayServer
    from fetch_support.s2_server import S2Server

    from fetch.arxiv_client import ArxivConfig
    from fetch.s2_client import S2Config

    anchor = {"paperId": "abc", "citationCount": 7, "title": "An anchor", "externalIds": {}}
    cites = {"offset": 0, "data": [{"citingPaper": {
        "paperId": "p1", "title": "A citing paper", "externalIds": {"ArXiv": "2502.00077"},
        "publicationDate": "2025-02-03", "year": 2025, "authors": [], "abstract": "program execution"}}]}
    with ArxivReplayServer(fixture_dir("arxiv-api")) as ax, \
            S2Server({"/graph/v1/paper/arXiv:1707.08567": anchor, "/graph/v1/paper/abc/citations": cites}) as s2:
        ax.replay.fallback = ax.replay.responses_dir / "q_testing_s0_m100_cfe7536492ca.xml"
        acfg = ArxivConfig(base_url=ax.url, delay_seconds=0.0, page_size=100, max_results_per_query=100)
        scfg = S2Config(base_url=s2.url, min_interval_seconds=0.0)
        monkeypatch.setattr(ArxivConfig, "from_env", classmethod(lambda cls, **kw: acfg))
        monkeypatch.setattr(S2Config, "from_env", classmethod(lambda cls, **kw: scfg))
        r = CliRunner().invoke(app, ["fetch", "--live", "--root", str(repo), "--top", "50"])
    assert r.exit_code == 0, r.output
    entry = read_snapshot(repo / SNAPSHOT_PATH).claims["c-exec"]
    assert entry.source.kind == "live" and entry.source.arxiv_url == ax.url and entry.source.s2_url == s2.url
    assert entry.candidates and all(c.submitted >= dt.date(2025, 1, 1) for c in entry.candidates)
    assert entry.anchors[0].citation_count == 7 and entry.anchors[0].citing_since == 1
    assert any(c.arxiv_id == "2502.00077" and c.origin == "cites-anchor" for c in entry.candidates)
    assert len(entry.seen) == entry.retrieved  # the recorded feed has papers before 2025: filtered out
    sent = [parse_qs(q)["search_query"][0] for _, q in ax.replay.log if "search_query" in parse_qs(q)]
    assert any(q.startswith("(ti:") for q in sent)  # title lists go to arXiv as ti: searches
    assert {"title:query:0", "title:statement"} <= {li.name for li in entry.lists if li.kind == "title"}


def test_no_mirror_is_one_line_and_if_mirror_exits_zero(app, repo, monkeypatch, tmp_path):
    """Issue 13: a fresh clone without ../shared: `make book` says once what to do and goes on."""
    monkeypatch.setenv("CODEGAP_ARXIV_SNAPSHOT", str(tmp_path / "nowhere.jsonl.gz"))
    r = CliRunner().invoke(app, ["fetch", "--root", str(repo), "--if-mirror"])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("literature not refreshed")
    assert "--live" in lines[0] and "--mirror-file" in lines[0] and "CODEGAP_ARXIV_SNAPSHOT" in lines[0]
    r = CliRunner().invoke(app, ["fetch", "--root", str(repo)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) == 1
    assert not (repo / SNAPSHOT_PATH).exists()


def test_bad_mirror_file_is_one_line_naming_file_and_line(app, repo, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    r = CliRunner().invoke(app, ["fetch", "--root", str(repo), "--mirror-file", str(bad)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "bad.jsonl:1: not valid JSON" in r.output


def test_fetch_proposes_query_terms_from_papers_reviewed_as_relevant(app, repo, tmp_path, monkeypatch):
    """Relevant papers say "tool calling"; the claim's query does not: fetch proposes it, never adds it."""
    recs = []
    for i, title in enumerate(["Tool calling errors of small models in program execution",
                               "Tool calling benchmark for language models executing programs",
                               "Robust tool calling for program execution agents",
                               "Program execution traces of language models"]
                              + [f"Language models and program execution, study {n}" for n in range(80)], 1):
        recs.append({"id": f"2502.{i:05d}", "authors": "A. One", "title": title, "categories": "cs.CL",
                     "abstract": title + ". Language models, program execution.",
                     "versions": [{"version": "v1", "created": "Mon, 3 Feb 2025 10:00:00 GMT"}],
                     "authors_parsed": [], "update_date": "2025-02-04"})
    snap = tmp_path / "m2.jsonl.gz"
    with gzip.open(snap, "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in recs)
    monkeypatch.setenv("CODEGAP_ARXIV_SNAPSHOT", str(snap))
    for aid in ("2502.00001", "2502.00002", "2502.00003"):
        assert CliRunner().invoke(app, ["review", "c-exec", aid, "supports", "--reason", "x",
                                        "--root", str(repo)]).exit_code == 0
    claim_file = repo / "claims" / "c-exec.yaml"
    before = claim_file.read_text()
    r = CliRunner().invoke(app, ["fetch", "--root", str(repo)])
    assert r.exit_code == 0, r.output
    assert '"tool calling" (3/3)' in r.output
    props = (repo / "literature" / "query-proposals.yaml").read_text()
    assert "tool calling" in props and "3 of 3" in props
    assert claim_file.read_text() == before  # a maintainer accepts proposals; fetch never edits claims
