"""sft-ceiling report notebook: YAML defaults, paired files, and it renders a stored run without errors."""

from __future__ import annotations

import json

import pytest

from support.report_notebook import check_report_notebook


def test_report_notebook_matches_the_claim() -> None:
    check_report_notebook("sft-ceiling")


@pytest.mark.timeout(300)
def test_report_notebook_renders_a_stored_run(synthetic_run, tmp_path) -> None:
    rec = synthetic_run("sft-ceiling", "limited", report=True, max_units=2)
    nb = json.loads((tmp_path / "sft-ceiling-limited" / rec.notebook).read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert rec.subject in html and "last_doubling_gain" in html and "systematic@8000" in html
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
