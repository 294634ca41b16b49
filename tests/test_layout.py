"""Every piece of one claim is found from its id alone, and report notebooks agree with the claim YAML."""

from __future__ import annotations

import importlib

import pytest

from codegap import experiments
from codegap.claims import load_claims
from codegap.paths import REPO
from support.report_notebook import check_report_notebook

LIVE = [c.id for c in load_claims() if c.has_experiment]


def test_twelve_claims_have_live_checks_and_every_package_belongs_to_a_claim():
    assert experiments.available() == sorted(LIVE)


@pytest.mark.parametrize("claim_id", LIVE)
def test_every_piece_of_a_live_check_is_named_by_its_claim_id(claim_id):
    pkg = REPO / "codegap" / "experiments" / experiments.module_name(claim_id)
    for name in ("__init__.py", "README.md", "synthetic.py"):
        assert (pkg / name).is_file(), f"{pkg / name} is missing"
    assert (REPO / "tests" / "experiments" / experiments.module_name(claim_id)).is_dir()
    assert (REPO / "notebooks" / f"{claim_id}.md").is_file() and (REPO / "notebooks" / f"{claim_id}.ipynb").is_file()
    readme = (pkg / "README.md").read_text()
    assert f"claims/{claim_id}.yaml" in readme and f"notebooks/{claim_id}" in readme
    assert experiments.get(claim_id).claim_id == claim_id


@pytest.mark.parametrize("claim_id", LIVE)
def test_report_notebook_parameters_are_the_claims_defaults(claim_id):
    check_report_notebook(claim_id)


def test_no_stale_notebooks_or_task_modules():
    names = {p.stem for p in (REPO / "notebooks").glob("*.ipynb")}
    assert names == set(LIVE), f"notebooks without a live check: {sorted(names - set(LIVE))}"
    assert not (REPO / "codegap" / "tasks").exists(), "codegap/tasks/ was replaced by codegap/experiments/"


def test_fingerprint_follows_imports_into_shared_code_and_packages():
    from codegap import fingerprint

    own, third = fingerprint.closure("codegap.experiments.iterative_execution")
    assert {"codegap.sandbox", "codegap.experiments.answers", "codegap.experiments.collect",
            "codegap.models.engine", "codegap.stats"} <= set(own)
    assert not any(m.startswith("codegap.book") for m in own), "editing a page must not rerun a check"
    dists = fingerprint.distributions(third)
    assert "inspect_ai" in third and any(d.lower().replace("_", "-") == "inspect-ai" for d in dists)
    assert fingerprint.code_digest("codegap.experiments.iterative_execution") == \
        fingerprint.code_digest("codegap.experiments.iterative_execution")
