"""cot-imitation: the design fixes of issue 9 (item 4), pinned.

- The CoT premise gate fires on a model that is at the floor with CoT (the
  0.5B model's pattern under the old design: direct answers recite the
  familiar twin, chains of thought never reach a right answer): `premise not
  met`, where the old rule said `does not hold`.
- A model at the ceiling on direct answers can still get `holds` (the old
  rule's gain difference was bounded by 1 - direct accuracy).
- A model that follows the stated procedure with CoT gets `does not hold`;
  one that ignores the framing, or copies its input, gets `premise not met`.
- Guessing passes no premise: the comprehension check's chance rate is far
  below its threshold.
- Twins get the same budgets; the notebook's parameters are the YAML's.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from codegap import experiments
from codegap.claims import claim_by_id
from codegap.evaluation import evaluate
from codegap.experiments.cot_imitation import synthetic, task
from codegap.samples import SampleRow, prompt_digest

CLAIM = claim_by_id("cot-imitation")
PARAMS = CLAIM.experiment.parameters
CHECK = experiments.get("cot-imitation")
REPO = Path(__file__).resolve().parents[3]


def simulate(policy: str, units: int, seed: int = 0) -> list[SampleRow]:
    """The replies a synthetic policy gives, graded by the check (no server; the same policy code)."""
    fn = synthetic.POLICIES[policy]
    rows = []
    for u in range(units):
        for inst in CHECK.unit(u, seed, PARAMS):
            for req in CHECK.requests(inst, PARAMS):
                reply = fn(inst, req, 0, [], random.Random(f"{prompt_digest(req.messages())}:0:None"))
                g = CHECK.grade(inst, req, reply, 0)
                rows.append(SampleRow(unit=u, instance=inst.id, arm=req.arm, reply=reply, parsed=g.value,
                                      correct=g.correct, unparseable=g.unparseable, detail=g.detail,
                                      meta=CHECK.instance_meta(inst)))
    return rows


def sequential_verdict(policy: str):
    """Batches of the claim's size until decided or out of budget, as the runner does."""
    budget = CLAIM.experiment.budget
    rows = simulate(policy, budget.max_units)
    for n in range(budget.batch, budget.max_units + 1, budget.batch):
        ev = evaluate(CHECK, CLAIM, [r for r in rows if r.unit < n], PARAMS, at_budget=n >= budget.max_units)
        if ev.decision.decided:
            return ev, n
    return ev, budget.max_units


@pytest.mark.parametrize("policy", sorted(synthetic.BASELINES))
def test_baselines_get_their_verdicts(policy):
    ev, n = sequential_verdict(policy)
    assert ev.decision.verdict == synthetic.BASELINES[policy], ev.decision.explain()
    assert n <= 60, f"{policy} needed {n} units"


def test_cot_premise_gate_fires_on_a_model_at_the_floor_with_cot(synthetic_run):
    """Through the real runner and a local OpenAI-compatible server (issue 9's named test)."""
    rec = synthetic_run("cot-imitation", "cot_floor")
    assert rec.verdict == "premise not met", rec.verdict_explanation
    assert re.search(r"premise cot_familiar_accuracy = [^;]*: failed", rec.verdict_explanation)
    metrics = {m.name: m for m in rec.metrics}
    # the direct answers show the reciting effect the old run saw; CoT is at the floor on both twins
    assert metrics["direct_shift_gap"].value > 0.8 and metrics["cot_shift_gap"].value == 0


def test_a_ceiling_on_direct_answers_does_not_bias_the_rule():
    ev, _ = sequential_verdict("ceiling_imitator")
    m = {x.name: x for x in ev.metrics}
    assert m["cot_gain_familiar"].value == 0  # no room for a CoT gain on the familiar twin ...
    assert ev.decision.verdict == "holds"  # ... and yet the limitation is seen


def test_guessing_passes_no_comprehension_premise():
    rows = simulate("random", 300)
    checks = [r for r in rows if r.arm == "check"]
    rate = sum(r.correct for r in checks) / len(checks)
    threshold = next(c.threshold for c in CLAIM.experiment.verdict.premises if c.metric == "rule_comprehension")
    assert rate < 0.05 < threshold


def test_twins_share_budgets_and_prompts_differ_only_in_the_question():
    for u in range(9):
        fam, cf, chk = CHECK.unit(u, 0, PARAMS)
        rf, rc = CHECK.requests(fam, PARAMS), CHECK.requests(cf, PARAMS)
        assert [(r.arm, r.max_tokens, r.temperature) for r in rf] == [(r.arm, r.max_tokens, r.temperature) for r in rc]
        for a, b in zip(rf, rc):
            assert a.prompt.replace(fam.question, "Q") == b.prompt.replace(cf.question, "Q")
        assert [r.arm for r in CHECK.requests(chk, PARAMS)] == ["check"]
    assert set(task.ARMS) == set(CHECK.arms)


def test_notebook_parameters_are_the_claim_defaults():
    nb = json.loads((REPO / CLAIM.experiment.notebook).read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    scope: dict = {}
    exec("".join(cell["source"]), {}, scope)  # noqa: S102 - our own notebook's parameters cell
    assert {k: scope[k] for k in PARAMS} == PARAMS
    assert set(scope) == set(PARAMS) | {"model", "seed", "samples_path"}
    md = (REPO / CLAIM.experiment.notebook).with_suffix(".md").read_text()
    assert "".join(cell["source"]).strip() in md  # the MyST pair holds the same cell


def test_report_notebook_runs_on_stored_samples_and_rescore_reproduces_the_record(synthetic_run):
    """The runner executes the notebook on the samples it stored; a re-score gives the record's numbers."""
    from codegap.rescore import regrade
    from codegap.results import results_dir
    from codegap.samples import read

    rec = synthetic_run("cot-imitation", "limited", report=True, max_units=10)
    assert rec.notebook and rec.spent.units == 10
    base = results_dir().parent
    nb = json.loads((base / rec.notebook).read_text())
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = json.dumps(nb)
    assert "familiar convention" in text and "Verdict for" in text
    header, rows = read(base / rec.samples)
    new, changed, problems = regrade(CHECK, header.parameters, header.seed, rows)
    assert changed == 0 and problems == []
    ev = evaluate(CHECK, CLAIM, new, header.parameters, levels={m.name: m.method for m in rec.metrics})
    assert [(m.value, m.ci_low, m.ci_high) for m in rec.metrics] == \
        [(m.value, m.ci_low, m.ci_high) for m in ev.metrics]
