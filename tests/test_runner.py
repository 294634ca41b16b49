"""`codegap run` and `codegap rescore` end to end, on the iterative-execution check and a synthetic model
served by a local OpenAI-compatible stub (tests/support/openai_server.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from codegap import rescore as rescore_mod
from codegap import runner
from codegap.claims import claim_by_id
from codegap.experiments.synthetic import responder
from codegap.results import iter_records
from codegap.samples import read
from support.openai_server import OpenAIStub

CLAIM = "iterative-execution"
#: set per test by `env` (one service name per stub server: inspect keeps one client per model name)
MODEL = ""


def make_app() -> typer.Typer:
    app = typer.Typer()
    runner.register(app)
    rescore_mod.register(app)

    @app.callback()
    def _root() -> None:
        pass

    return app


def invoke(*args: str):
    return CliRunner().invoke(make_app(), list(args), catch_exceptions=False)


@pytest.fixture
def env(tmp_path, monkeypatch):
    global MODEL
    claim = claim_by_id(CLAIM)
    monkeypatch.setenv("CODEGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))
    answer = responder(CLAIM, "limited", dict(claim.experiment.parameters), 0, claim.experiment.budget.max_units)
    with OpenAIStub(answer=answer, model_id="served-model-v7") as srv:
        service = f"syn{srv.port}"
        MODEL = f"openai-api/{service}/limited"
        monkeypatch.setenv(f"{service.upper()}_API_KEY", "not-a-real-key-000")
        monkeypatch.setenv(f"{service.upper()}_BASE_URL", srv.base_url)
        yield {"srv": srv, "results": tmp_path / "results"}


def test_run_writes_samples_report_and_record(env):
    res = invoke("run", "--model", MODEL, "--claim", CLAIM, "--max-units", "8")
    assert res.exit_code == 0, res.output
    assert env["srv"].call_count == 8 * 3 * 3  # 8 units x 3 depths x 3 arms
    # off a terminal (CI logs, redirected runs) progress comes as plain lines, one per batch
    assert f"{CLAIM}: units 8/8, inconclusive so far" in res.output, res.output
    [rec] = iter_records(env["results"])
    assert (rec.claim, rec.model, rec.subject) == (CLAIM, MODEL, MODEL)
    assert rec.spent.units == 8 and rec.spent.batches == 1 and rec.spent.stop == "unit budget"
    assert rec.verdict == "inconclusive" and "budget" in rec.verdict_explanation
    assert rec.rule_version and rec.budget["max_units_cap"] == 8
    assert rec.provenance.model_version == "served-model-v7"  # what the server reported, not the request
    assert rec.provenance.sampling["cot"]["max_tokens"] == [250, 520, 880]  # what was actually sent
    assert rec.provenance.model_calls == 72 and rec.provenance.cache_hits == 0
    header, rows = read(rec.resolve(rec.samples, env["results"]))
    assert header.run_id == rec.run_id and len(rows) == 72 and {r.arm for r in rows} == {"direct", "cot", "code"}
    import hashlib

    assert hashlib.sha256(rec.resolve(rec.samples, env["results"]).read_bytes()).hexdigest() == rec.samples_sha256
    nb = json.loads(rec.resolve(rec.notebook, env["results"]).read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert any("Verdict for" in "".join(o.get("data", {}).get("text/html", ""))
               for c in nb["cells"] for o in c.get("outputs", []))
    assert all(m.method.startswith(("sequential@", "power-gap@")) for m in rec.metrics)


def test_rescore_reproduces_with_zero_model_calls_and_a_grader_fix_appends(env, monkeypatch):
    assert invoke("run", "--model", MODEL, "--claim", CLAIM, "--max-units", "8", "--no-report").exit_code == 0
    calls = env["srv"].call_count
    env["srv"].stop()  # any model call would now fail
    res = invoke("rescore", "--claim", CLAIM)
    assert res.exit_code == 0, res.output
    assert "reproduced (72 replies re-graded)" in res.output and "0 model calls" in res.output
    # a changed grader: everything now counts as wrong -> the re-score differs, --write appends
    from codegap.experiments.base import Graded
    from codegap.experiments.iterative_execution import grader

    monkeypatch.setattr(grader, "grade", lambda inst, arm, reply: Graded(False, False, None, "fixed grader"))
    res = invoke("rescore", "--claim", CLAIM, "--write")
    assert res.exit_code == 1 and "grades changed" in res.output
    first, second = iter_records(env["results"])
    assert second.rescored_from == first.run_id and second.samples == first.samples
    assert second.provenance.model_calls == 0 and env["srv"].call_count == calls


def test_if_changed_skips_identical_runs(env):
    assert invoke("run", "--model", MODEL, "--claim", CLAIM, "--if-changed", "--no-report").exit_code == 0
    calls = env["srv"].call_count
    assert calls > 0
    res = invoke("run", "--model", MODEL, "--claim", CLAIM, "--if-changed", "--no-report")
    assert res.exit_code == 0 and "up to date" in res.output
    assert env["srv"].call_count == calls and len(iter_records(env["results"])) == 1
    # a changed parameter is a different run (and the stub answers only the default prompts, so
    # the check is that nothing is skipped, not that it succeeds)
    from codegap.claims import claim_by_id as _c
    from codegap.runner import effective_parameters

    assert effective_parameters(_c(CLAIM), {"kinds": ["digits"]})["kinds"] == ["digits"]


def test_interrupted_run_leaves_nothing_and_says_so_in_one_line(env, monkeypatch):
    from codegap.experiments.iterative_execution import IterativeExecution

    real = IterativeExecution.collect
    batches = []

    def collect(self, instances, params, ctx):
        batches.append(1)
        if len(batches) == 2:
            raise KeyboardInterrupt
        return real(self, instances, params, ctx)

    monkeypatch.setattr(IterativeExecution, "collect", collect)
    res = invoke("run", "--model", MODEL, "--claim", CLAIM)
    assert res.exit_code == 130
    assert "interrupted: iterative-execution" in res.output and "Traceback" not in res.output
    leftovers = [p for p in env["results"].rglob("*") if p.is_file() and "logs" not in p.parts]
    assert leftovers == [], leftovers


def test_failed_report_keeps_the_paid_for_samples_and_record(env, monkeypatch):
    def broken(*a, **k):
        raise runner.RunError("report notebook failed in cell 3: deliberately broken")

    monkeypatch.setattr(runner, "execute_report", broken)
    res = invoke("run", "--model", MODEL, "--claim", CLAIM, "--max-units", "8")
    assert res.exit_code == 1 and "deliberately broken" in res.output and "without a report" in res.output
    [rec] = iter_records(env["results"])
    assert rec.notebook is None and rec.resolve(rec.samples, env["results"]).is_file()


@pytest.mark.parametrize("args, message", [
    (("--model", "gpt4"), "accepted model strings"),
    (("--model", "{M}", "--param", "api_key=abc"), "environment"),
    (("--model", "{M}", "--claim", "nope"), "no claim 'nope'"),
    (("--model", "{M}", "--claim", CLAIM, "--param", "speed=9"), "unknown parameter(s) speed"),
    (("--model", "{M}", "--claim", "environment-scaling"), "no live check"),
])
def test_bad_input_is_one_clear_error(env, args, message):
    res = CliRunner().invoke(make_app(), ["run", *[a.replace("{M}", MODEL) for a in args]])
    assert res.exit_code != 0 and message in res.output, res.output
    assert env["srv"].call_count == 0


def test_generation_settings_are_not_mistaken_for_credentials():
    from codegap.runner import SECRET_NAME

    assert not any(SECRET_NAME.search(k) for k in ("max_tokens", "n", "temperature", "rounds"))
    assert all(SECRET_NAME.search(k) for k in ("api_key", "OPENAI_API_KEY", "token", "auth_token", "password"))
