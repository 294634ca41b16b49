"""verification-gap report notebook: parameter defaults are the claim's, and the two paired files agree."""

from __future__ import annotations

import ast
import json

from codegap.claims import claim_by_id
from codegap.paths import REPO

NB = REPO / "notebooks" / "verification-gap.ipynb"
MD = REPO / "notebooks" / "verification-gap.md"


def _parameters_cell() -> dict:
    nb = json.loads(NB.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    out = {}
    for node in ast.parse("".join(cell["source"])).body:
        assert isinstance(node, ast.Assign), "the parameters cell holds plain assignments only"
        out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def test_parameter_defaults_match_the_claim_yaml() -> None:
    claim = claim_by_id("verification-gap")
    cell = _parameters_cell()
    assert claim.experiment.notebook == "notebooks/verification-gap.ipynb"
    for key, value in claim.experiment.parameters.items():
        assert cell[key] == value, key
    assert set(cell) == set(claim.experiment.parameters) | {"model", "seed", "samples_path"}
    assert cell["samples_path"] == ""


def test_ipynb_and_myst_text_carry_the_same_code() -> None:
    import jupytext

    md = jupytext.read(MD)
    nb = jupytext.read(NB)
    code = [c.source for c in md.cells if c.cell_type == "code"]
    assert code == [c.source for c in nb.cells if c.cell_type == "code"]
    assert "Report.load(\"verification-gap\"" in "\n".join(code)
