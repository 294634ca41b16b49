"""`codegap run` end to end against a local OpenAI-compatible stub server.

The fixture claim (tests/fixtures/run/) runs a small inspect task through
`codegap.models.run_eval` inside a papermill-executed notebook; the stub answers
with the requested word. Checks: record with provenance, executed notebook kept
where the book looks, second identical run makes zero model calls, bad model
string and failing notebooks are reported clearly.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from codegap import runner
from codegap.results import iter_records
from support.openai_server import OpenAIStub

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "run"
MODEL = "openai-api/test/stub-coder"


def answer(messages):
    m = re.search(r"word: (\S+)", messages[-1]["content"])
    return m.group(1) if m else "?"


def make_app() -> typer.Typer:
    app = typer.Typer()
    runner.register(app)

    @app.callback()
    def _root() -> None:  # keeps `run` a sub-command, as in codegap's CLI
        pass

    return app


@pytest.fixture
def env(tmp_path, monkeypatch):
    claims = tmp_path / "fixture" / "claims"
    shutil.copytree(FIXTURES / "claims", claims)
    shutil.copytree(FIXTURES / "notebooks", tmp_path / "fixture" / "notebooks")
    monkeypatch.setenv("CODEGAP_CLAIMS_DIR", str(claims))
    monkeypatch.setenv("CODEGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))
    monkeypatch.setenv("TEST_API_KEY", "not-a-real-key-000")
    with OpenAIStub(answer=answer) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        yield {"tmp": tmp_path, "claims": claims, "srv": srv, "results": tmp_path / "results"}


def invoke(*args: str):
    return CliRunner().invoke(make_app(), ["run", *args], catch_exceptions=False)


def test_run_records_result_and_rerun_makes_zero_calls(env):
    res = invoke("--model", MODEL, "--seed", "5")
    assert res.exit_code == 0, res.output
    assert env["srv"].call_count == 6  # n=6 from the claim's parameters
    assert "6/6" in res.output  # per-sample progress reached the terminal (from the kernel's hook)
    [rec] = iter_records(env["results"])
    assert rec.claim == "fixture-echo" and rec.model == MODEL
    assert rec.verdict == "holds"
    [m] = rec.metrics
    assert (m.name, m.value, m.n) == ("accuracy", 1.0, 6) and m.ci_low < 1.0
    p = rec.provenance
    assert p.model_version == "stub-coder"  # as reported by the server
    assert p.seed == 5 and p.sampling["temperature"] == 0.0 and p.sampling["max_tokens"] == 16
    assert p.model_calls == 6 and p.cache_hits == 0
    assert p.packages["inspect-ai"] and p.codegap_commit
    assert p.inspect_logs and all(Path(x).exists() for x in p.inspect_logs)
    assert rec.parameters == {"n": 6, "word": "banana", "model": MODEL, "seed": 5}
    nb = Path(rec.notebook)
    assert nb.is_file() and nb.parent == env["results"] / "notebooks" / "fixture-echo" / "openai-api--test--stub-coder"
    cells = json.loads(nb.read_text())["cells"]
    # notebook stays clean: no inspect banners or widgets, only the final verdict value
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert [o["output_type"] for o in outputs] == ["execute_result"]

    res2 = invoke("--model", MODEL, "--seed", "5")
    assert res2.exit_code == 0, res2.output
    assert env["srv"].call_count == 6, "a rerun with nothing changed must not call the model"
    second = iter_records(env["results"])[-1]
    assert second.provenance.model_calls == 0 and second.provenance.cache_hits == 6
    assert second.verdict == rec.verdict and second.run_id != rec.run_id


def test_param_and_n_override_and_new_seed_calls_again(env):
    res = invoke("--model", MODEL, "--n", "4", "--param", "word=kiwi", "--seed", "1")
    assert res.exit_code == 0, res.output
    asked = [c["messages"][-1]["content"] for c in env["srv"].calls]
    assert len(asked) == 4 and all("kiwi" in a for a in asked)
    [rec] = iter_records(env["results"])
    assert rec.parameters["n"] == 4 and rec.parameters["word"] == "kiwi"


def test_credentials_are_refused_as_parameters(env):
    res = CliRunner().invoke(make_app(), ["run", "--model", MODEL, "--param", "api_key=abc"])
    assert res.exit_code != 0
    assert "environment" in res.output
    assert env["srv"].call_count == 0


def test_bad_model_string_lists_accepted_forms(env):
    res = invoke("--model", "gpt4")
    assert res.exit_code == 2
    assert "accepted model strings" in res.output and "openai-api/<name>/<model>" in res.output


def test_failing_notebook_is_named_and_others_still_run(env):
    bad = env["claims"] / "fixture-broken.yaml"
    text = (env["claims"] / "fixture-echo.yaml").read_text()
    bad.write_text(text.replace("id: fixture-echo", "id: fixture-broken")
                   .replace("notebooks/fixture_echo.ipynb", "notebooks/fixture_broken.ipynb"))
    nb = json.loads((env["tmp"] / "fixture" / "notebooks" / "fixture_echo.ipynb").read_text())
    nb["cells"][1]["source"] = "raise RuntimeError('deliberately broken fixture')"
    (env["tmp"] / "fixture" / "notebooks" / "fixture_broken.ipynb").write_text(json.dumps(nb))
    res = invoke("--model", MODEL)
    assert res.exit_code == 1
    assert "fixture-broken on openai-api/test/stub-coder" in res.output
    assert "deliberately broken fixture" in res.output
    assert [r.claim for r in iter_records(env["results"])] == ["fixture-echo"]


def test_unknown_claim_is_an_error(env):
    res = CliRunner().invoke(make_app(), ["run", "--model", MODEL, "--claim", "nope"])
    assert res.exit_code != 0 and "no claim 'nope'" in res.output


def test_if_changed_skips_identical_runs_only(env):
    assert invoke("--model", MODEL, "--if-changed").exit_code == 0
    calls = env["srv"].call_count
    res = invoke("--model", MODEL, "--if-changed")
    assert res.exit_code == 0 and "up to date" in res.output
    assert env["srv"].call_count == calls and len(iter_records(env["results"])) == 1
    # a changed parameter is a different run
    res = invoke("--model", MODEL, "--if-changed", "--param", "word=kiwi")
    assert res.exit_code == 0 and "up to date" not in res.output
    assert len(iter_records(env["results"])) == 2


def test_generation_settings_are_not_mistaken_for_credentials():
    from codegap.runner import SECRET_NAME

    assert not any(SECRET_NAME.search(k) for k in ("max_tokens", "n", "temperature", "rounds"))
    assert all(SECRET_NAME.search(k) for k in ("api_key", "OPENAI_API_KEY", "token", "auth_token", "password"))
