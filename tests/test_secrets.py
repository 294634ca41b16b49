"""API keys come from the environment only and never reach any output.

Runs `codegap run` against the local stub with fake keys in the environment,
checks the key really was used (the server saw it), then scans every file the
run produced — records, executed notebooks, inspect logs (inside their zip
archives), the response cache — for the key in any common encoding.
The book build's own scan reuses `support.secret_scan.find_secret`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from support.openai_server import OpenAIStub
from support.secret_scan import count_files, encodings, find_secret

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


def run_with_fake_key(results: Path, cache: Path, monkeypatch) -> tuple[object, set]:
    """`codegap run` of the iterative-execution check on a synthetic model behind the local stub,
    fake keys in the environment; returns (CLI result, Authorization headers the stub received)."""
    from codegap.claims import claim_by_id
    from codegap.experiments.synthetic import responder
    from test_runner import make_app

    claim = claim_by_id("iterative-execution")
    monkeypatch.setenv("CODEGAP_RESULTS", str(results))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(cache))
    answer = responder("iterative-execution", "limited", dict(claim.experiment.parameters), 0, 8)
    with OpenAIStub(answer=answer) as srv:
        service = f"sec{srv.port}"
        for var in (f"{service.upper()}_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            monkeypatch.setenv(var, FAKE_KEY)
        monkeypatch.setenv(f"{service.upper()}_BASE_URL", srv.base_url)
        res = CliRunner().invoke(make_app(), ["run", "--model", f"openai-api/{service}/coder", "--claim",
                                              "iterative-execution", "--max-units", "8"], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        auth = {h.get("Authorization") or h.get("authorization") for h in srv.headers}
    return res, auth


def test_run_outputs_never_contain_the_api_key(tmp_path, monkeypatch):
    results, cache = tmp_path / "results", tmp_path / "inspect-cache"
    res, auth = run_with_fake_key(results, cache, monkeypatch)
    assert auth == {f"Bearer {FAKE_KEY}"}, "the key must reach the server (from the environment)"
    assert FAKE_KEY not in res.output
    # the model's log: inspect's .eval, or the direct path's JSON lines (codegap.models.direct)
    logs = list(results.rglob("*.eval")) + list((results / "logs").rglob("*.jsonl"))
    assert logs and list(results.rglob("*.ipynb")) and list(results.rglob("*.jsonl.gz"))
    hits = find_secret([results, cache], FAKE_KEY)
    assert not hits, f"API key leaked into: {hits}"


def test_built_site_never_contains_the_api_key(tmp_path, monkeypatch):
    """Run with a fake key in the environment, build the site from that run, scan every file."""
    from book_support import build, copy_repo
    from conftest import REPO

    root = copy_repo(REPO, tmp_path / "site")
    run_with_fake_key(root / "results", tmp_path / "inspect-cache", monkeypatch)
    built = build(root)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    html = root / "_build" / "html"
    assert (html / "book" / "generated" / "claims" / "iterative-execution.html").exists()
    assert list((html / "book" / "generated" / "runs").glob("*.html")), "the run's report page is built"
    hits = find_secret([root], FAKE_KEY)
    assert not hits, f"API key leaked into: {hits}"
