"""Helpers for the live-check tests: run a claim's check through the real runner on a synthetic model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from codegap.claims import Claim, claim_by_id
from codegap.experiments.synthetic import responder
from support.openai_server import OpenAIStub


def run_synthetic(claim_id: str, policy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                  report: bool = False, overrides: dict[str, Any] | None = None,
                  max_units: int | None = None) -> Any:
    """`codegap run` of one claim on the synthetic `policy`, against a stub server on 127.0.0.1.

    Returns the record (RunRecord). Results and inspect's cache go to `tmp_path`.
    """
    from codegap import runner
    from codegap.results import RunRecord

    claim: Claim = claim_by_id(claim_id)
    params = {**claim.experiment.parameters, **(overrides or {})}
    monkeypatch.setenv("CODEGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))
    monkeypatch.setenv("SYN_API_KEY", "synthetic-key")
    answer = responder(claim_id, policy, params, 0, claim.experiment.budget.max_units)
    with OpenAIStub(answer=answer) as srv:
        monkeypatch.setenv("SYN_BASE_URL", srv.base_url)
        path = runner.run_claim(claim, model=f"openai-api/syn/{policy}", seed=0, overrides=overrides or {},
                                report=report, max_units=max_units)
    return RunRecord.model_validate_json(path.read_text())


@pytest.fixture
def synthetic_run(tmp_path, monkeypatch):
    def _run(claim_id: str, policy: str, **kw: Any) -> Any:
        return run_synthetic(claim_id, policy, tmp_path / f"{claim_id}-{policy}", monkeypatch, **kw)

    return _run
