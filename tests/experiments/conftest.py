"""Helpers for the live-check tests: run a claim's check through the real runner on a synthetic model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from codegap.claims import Claim, claim_by_id
from codegap import experiments
from codegap.experiments.synthetic import policies, responder
from support.openai_server import OpenAIStub


def run_synthetic(claim_id: str, policy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                  report: bool = False, overrides: dict[str, Any] | None = None,
                  max_units: int | None = None) -> Any:
    """`codegap run` of one claim on the synthetic `policy`, against a stub server on 127.0.0.1.

    A check whose run calls no model (it trains its own organism) gets the
    policy in place of its organisms' outputs instead of a server.
    Returns the record (RunRecord). Results and inspect's cache go to `tmp_path`.
    """
    from codegap import runner
    from codegap.results import RunRecord

    claim: Claim = claim_by_id(claim_id)
    params = {**claim.experiment.parameters, **(overrides or {})}
    monkeypatch.setenv("CODEGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))
    monkeypatch.setenv("SYN_API_KEY", "synthetic-key")
    check = experiments.get(claim_id)
    if not check.models(f"openai-api/syn/{policy}", params):
        # A check that trains its own organism calls no model (codegap.organisms.check): the
        # policy replaces the trained organisms' outputs; runner, grading and record stay real.
        monkeypatch.setattr(check, "policy", policies(claim_id)[0][policy])
        path = runner.run_claim(claim, model=f"openai-api/syn/{policy}", seed=0, overrides=overrides or {},
                                report=report, max_units=max_units)
        return RunRecord.model_validate_json(path.read_text())
    answer = responder(claim_id, policy, params, 0, claim.experiment.budget.max_units)
    with OpenAIStub(answer=answer) as srv:
        # one service name per server: inspect keeps a client per model name, and a client of an
        # earlier test's (stopped) server would retry against it instead of reaching this one
        service = f"syn{srv.port}"
        monkeypatch.setenv(f"{service.upper()}_API_KEY", "synthetic-key")
        monkeypatch.setenv(f"{service.upper()}_BASE_URL", srv.base_url)
        path = runner.run_claim(claim, model=f"openai-api/{service}/{policy}", seed=0, overrides=overrides or {},
                                report=report, max_units=max_units)
    return RunRecord.model_validate_json(path.read_text())


@pytest.fixture
def synthetic_run(tmp_path, monkeypatch):
    def _run(claim_id: str, policy: str, **kw: Any) -> Any:
        return run_synthetic(claim_id, policy, tmp_path / f"{claim_id}-{policy}", monkeypatch, **kw)

    return _run
