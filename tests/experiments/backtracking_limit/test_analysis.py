"""Analysis: the declared metrics, complete units only, the retry arm's outcome, and the notebook."""

from __future__ import annotations

import ast
import json
import re

import pytest

from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments import get
from codegap.experiments.backtracking_limit import analysis
from codegap.paths import REPO
from codegap.samples import SampleRow, frame

CLAIM = claim_by_id("backtracking-limit")
PARAMS = CLAIM.experiment.parameters
CHECK = get("backtracking-limit")


def _row(unit, level, arm, correct, rnd=0, detail="", truncated=False, unparseable=False):
    return SampleRow(unit=unit, instance=f"u{unit}-L{level}", arm=arm, round=rnd, reply="r", correct=correct,
                     truncated=truncated, unparseable=unparseable, detail=detail,
                     meta={"level": level, "backtracks": 1.0 + 60 * level, "chance": 0.001,
                           "walk_success": 0.4 - 0.35 * level, "solutions": 9})


def _unit(u, op=(1, 0), rt=(1, 0), sv=(1, 1), retry_rounds=1):
    rows = []
    for level in (0, 1):
        rows.append(_row(u, level, "one_pass", bool(op[level]),
                         detail="" if op[level] else "dead end at Ana; breaks requirement(s) 1"))
        for r in range(retry_rounds - 1):
            rows.append(_row(u, level, "retry", False, rnd=r, detail="avoidable at Ben; breaks requirement(s) 2"))
        rows.append(_row(u, level, "retry", bool(rt[level]), rnd=retry_rounds - 1))
        rows.append(_row(u, level, "solver", bool(sv[level]),
                         detail="" if sv[level] else "program failed: error: NameError"))
    return rows


def test_emits_exactly_the_declared_metrics_and_decides():
    rows = [r for u in range(12) for r in _unit(u)]
    ev = evaluate(CHECK, CLAIM, rows, PARAMS)
    assert [m.name for m in ev.metrics] == [m.name for m in CLAIM.experiment.metrics]
    by = {m.name: m for m in ev.metrics}
    assert by["one_pass_drop"].value == 1 and by["solver_minus_one_pass_hardest"].value == 1
    assert by["retry_minus_one_pass_hardest"].value == 0 and by["wrong_dead_end_share"].value == 1
    assert by["solver_engaged"].value == 1 and by["one_pass_fewest"].value == 1


def test_incomplete_units_are_left_out_and_retry_counts_any_round():
    rows = [r for u in range(3) for r in _unit(u, rt=(0, 1), retry_rounds=3)]
    rows += [r for r in _unit(3) if r.arm != "solver"]  # unit 3 is missing its solver replies
    obs = {o.name: o for o in analysis.analyse(frame(rows), PARAMS)}
    assert obs["one_pass_drop"].n == 3
    assert obs["retry_minus_one_pass_hardest"].values == (1.0, 1.0, 1.0)
    out = analysis.outcomes(frame(rows))
    assert set(out[(out["arm"] == "retry") & (out["unit"] < 3)]["rounds"]) == {3}


def test_engagement_reads_program_failures():
    rows = [r for u in range(4) for r in _unit(u, sv=(0, 0))]
    obs = {o.name: o for o in analysis.analyse(frame(rows), PARAMS)}
    assert obs["solver_engaged"].values == (0.0,) * 4


def test_descriptive_tables():
    rows = [r for u in range(5) for r in _unit(u)]
    acc = analysis.accuracy_table(frame(rows))
    assert set(acc["arm"]) == {"one_pass", "retry", "solver"} and set(acc["level"]) == {0, 1}
    kinds = analysis.wrong_answer_table(frame(rows))
    assert "dead end" in kinds.columns and "program failed" not in kinds.columns
    d = analysis.details(frame(rows), PARAMS)
    assert d["solve_rate"]["one_pass@L1"] == 0 and d["chance_rate_by_level"][0] == 0.001


# --- the report notebook ------------------------------------------------------------------------------

def _parameters_cell(md: str) -> dict:
    cell = re.search(r"```\{code-cell\} ipython3\n:tags: \[parameters\]\n\n(.*?)```", md, re.S).group(1)
    return {t.id: ast.literal_eval(n.value) for n in ast.parse(cell).body
            for t in n.targets if isinstance(t, ast.Name)}


def test_notebook_defaults_are_the_claim_parameters():
    md = (REPO / "notebooks" / "backtracking-limit.md").read_text()
    cell = _parameters_cell(md)
    assert {k: v for k, v in cell.items() if k not in ("model", "seed", "samples_path")} == PARAMS
    assert CLAIM.experiment.notebook == "notebooks/backtracking-limit.ipynb"


def test_ipynb_is_the_paired_markdown():
    nb = json.loads((REPO / "notebooks" / "backtracking-limit.ipynb").read_text())
    md = (REPO / "notebooks" / "backtracking-limit.md").read_text()
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert code == [c.strip("\n") for c in re.findall(r"```\{code-cell\} ipython3\n(?::tags: .*?\n\n)?(.*?)```",
                                                       md, re.S)]


@pytest.mark.timeout(600)
def test_report_notebook_runs_and_stored_samples_rescore_exactly(synthetic_run):
    """The notebook executes on the run's samples; re-grading them reproduces every interval exactly.

    Three premises put their intervals at level 1 - 0.05/3, which a record
    writes as 98.33%: the re-score must still use the exact level.
    """
    from codegap.rescore import regrade
    from codegap.results import results_dir
    from codegap.samples import read

    rec = synthetic_run("backtracking-limit", "limited", report=True, max_units=10)
    assert rec.notebook and rec.spent.units == 10
    base = results_dir().parent  # record paths are relative to the folder holding results/
    nb = json.loads((base / rec.notebook).read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    header, rows = read(base / rec.samples)
    new, changed, problems = regrade(CHECK, header.parameters, header.seed, rows)
    assert changed == 0 and problems == []
    ev = evaluate(CHECK, CLAIM, new, header.parameters, levels={m.name: m.method for m in rec.metrics})
    assert [(m.value, m.ci_low, m.ci_high) for m in rec.metrics] == \
        [(m.value, m.ci_low, m.ci_high) for m in ev.metrics]
