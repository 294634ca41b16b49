"""Checks every live check's report notebook must pass: YAML defaults in the parameters cell, paired files agree."""

from __future__ import annotations

import ast
import json

from codegap.claims import claim_by_id
from codegap.paths import REPO


def check_report_notebook(claim_id: str) -> None:
    """The parameters cell holds exactly the claim's YAML defaults (plus model, seed, samples_path = ""),
    and the `.ipynb` and its MyST text version carry the same code."""
    import jupytext

    claim = claim_by_id(claim_id)
    ipynb, md = REPO / "notebooks" / f"{claim_id}.ipynb", REPO / "notebooks" / f"{claim_id}.md"
    assert claim.experiment.notebook == f"notebooks/{claim_id}.ipynb"
    nb = json.loads(ipynb.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    values = {}
    for node in ast.parse("".join(cell["source"])).body:
        assert isinstance(node, ast.Assign), "the parameters cell holds plain assignments only"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert values == {**claim.experiment.parameters, "model": values["model"], "seed": values["seed"],
                      "samples_path": ""}
    code = [c.source for c in jupytext.read(md).cells if c.cell_type == "code"]
    assert code == [c.source for c in jupytext.read(ipynb).cells if c.cell_type == "code"]
    assert f'Report.load("{claim_id}"' in "\n".join(code)
