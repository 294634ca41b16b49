"""API keys come from the environment only and never reach any output.

Runs `codegap run` against the local stub with fake keys in the environment,
checks the key really was used (the server saw it), then scans every file the
run produced — records, executed notebooks, inspect logs (inside their zip
archives), the response cache — for the key in any common encoding.
The book build's own scan reuses `support.secret_scan.find_secret`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support.openai_server import OpenAIStub
from support.secret_scan import count_files, encodings, find_secret
from test_run_stub import FIXTURES, answer, make_app

FAKE_KEY = "sk-codegap-FAKE-7f3a9c2e51d04b8b"


def test_scanner_finds_plain_zipped_and_encoded_secrets(tmp_path):
    import base64
    import zipfile

    (tmp_path / "clean.txt").write_text("nothing here")
    (tmp_path / "plain.json").write_text(f'{{"k": "{FAKE_KEY}"}}')
    (tmp_path / "b64.txt").write_bytes(base64.b64encode(FAKE_KEY.encode()))
    with zipfile.ZipFile(tmp_path / "log.eval", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("samples/1.json", "x" * 1000 + FAKE_KEY)
    hits = find_secret([tmp_path], FAKE_KEY)
    assert any(h.endswith("plain.json") for h in hits)
    assert any(h.endswith("b64.txt") for h in hits)
    assert any(h.endswith("log.eval:samples/1.json") for h in hits)
    assert not any("clean.txt" in h for h in hits)
    # keys with special characters are also looked for URL-quoted and JSON-escaped
    assert b"ab%2Fcd%2Bef%3D%22gh" in encodings('ab/cd+ef="gh')
    assert b'ab/cd+ef=\\"gh' in encodings('ab/cd+ef="gh')


def run_with_fake_key(root: Path, results: Path, cache: Path, monkeypatch):
    """`codegap run` on the fixture claim in `root`, fake keys in the environment; returns
    (CLI result, Authorization headers the stub received)."""
    monkeypatch.setenv("CODEGAP_CLAIMS_DIR", str(root / "claims"))
    monkeypatch.setenv("CODEGAP_RESULTS", str(results))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(cache))
    for var in ("TEST_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(var, FAKE_KEY)
    with OpenAIStub(answer=answer) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        res = CliRunner().invoke(make_app(), ["run", "--model", "openai-api/test/stub-coder"],
                                 catch_exceptions=False)
        assert res.exit_code == 0, res.output
        auth = {h.get("Authorization") or h.get("authorization") for h in srv.headers}
    return res, auth


def test_run_outputs_never_contain_the_api_key(tmp_path, monkeypatch):
    root = tmp_path / "fixture"
    shutil.copytree(FIXTURES / "claims", root / "claims")
    shutil.copytree(FIXTURES / "notebooks", root / "notebooks")
    results, cache = tmp_path / "results", tmp_path / "inspect-cache"
    res, auth = run_with_fake_key(root, results, cache, monkeypatch)
    assert auth == {f"Bearer {FAKE_KEY}"}, "the key must reach the server (from the environment)"
    assert FAKE_KEY not in res.output
    assert count_files([results]) >= 3  # record, notebook, log
    assert list(results.rglob("*.eval")) and list(results.rglob("*.ipynb"))
    hits = find_secret([results, cache], FAKE_KEY)
    assert not hits, f"API key leaked into: {hits}"


def test_built_site_never_contains_the_api_key(tmp_path, monkeypatch):
    """Run with a fake key in the environment, build the site from that run, scan every file."""
    from book_support import build
    from conftest import REPO

    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "claims", root / "claims")
    shutil.copytree(FIXTURES / "notebooks", root / "notebooks")
    shutil.copytree(REPO / "book", root / "book", ignore=shutil.ignore_patterns("generated"))
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(REPO / name, root / name)
    run_with_fake_key(root, root / "results", tmp_path / "inspect-cache", monkeypatch)
    built = build(root)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    html = root / "_build" / "html"
    assert (html / "book" / "generated" / "claims" / "fixture-echo.html").exists()
    assert list((html / "book" / "generated" / "runs").glob("*.html")), "the run's notebook page is built"
    assert count_files([root]) > 50
    hits = find_secret([root], FAKE_KEY)
    assert not hits, f"API key leaked into: {hits}"
