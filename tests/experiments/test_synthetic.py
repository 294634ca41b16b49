"""Every live check, on three synthetic models, through the real runner (issue: verdicts that can decide).

For each check with a `synthetic.py`, at the claim's default budget:
- a model that solves every task gets `does not hold`;
- a model with exactly the claimed limitation gets `holds`;
- a model that answers at random never gets `holds`.

The models answer through an OpenAI-compatible server on 127.0.0.1
(`tests/support/openai_server.py`), so inspect, its HTTP client, the runner's
sequential batches, grading, the samples file and the record are all real.
"""

from __future__ import annotations

import importlib.util

import pytest

from codegap import experiments
import codegap.experiments.synthetic  # noqa: F401  (experiments.synthetic below)
from codegap.claims import load_claims

def _has_synthetic(claim_id: str) -> bool:
    try:
        return importlib.util.find_spec(f"codegap.experiments.{experiments.module_name(claim_id)}.synthetic") is not None
    except ModuleNotFoundError:  # no package for this claim at all
        return False


CHECKS = [c.id for c in load_claims() if c.has_experiment and _has_synthetic(c.id)]
CASES = [(cid, policy) for cid in CHECKS
         for policy in experiments.synthetic.policies(cid)[1]] if CHECKS else []


def test_every_live_check_has_synthetic_models():
    live = [c.id for c in load_claims() if c.has_experiment]
    missing = sorted(set(live) - set(CHECKS))
    assert not missing, f"live checks without synthetic.py: {missing}"


@pytest.mark.parametrize("claim_id, policy", CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_synthetic_model_gets_its_verdict(claim_id, policy, synthetic_run):
    expected = experiments.synthetic.policies(claim_id)[1][policy]
    rec = synthetic_run(claim_id, policy)
    if expected == "not holds":
        assert rec.verdict != "holds", rec.verdict_explanation
    else:
        assert rec.verdict == expected, rec.verdict_explanation
    assert rec.spent.units <= rec.budget["max_units"]
    assert rec.samples and rec.samples_sha256
