"""rl-sharpening design fixes (issues 8 and 9): the subject is what was run, seeds are the units and
their variation is in the interval, the organism is reproducible, and Mode A compares two served models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from codegap import experiments, fingerprint, runner, stats
from codegap.claims import claim_by_id
from codegap.experiments.rl_sharpening import analysis, generator, organism
from codegap.results import RunRecord
from codegap.samples import SampleRow, frame, read
from support.openai_server import OpenAIStub

CLAIM = claim_by_id("rl-sharpening")
DEFAULTS = dict(CLAIM.experiment.parameters)
CHECK = experiments.get("rl-sharpening")
TINY = {**DEFAULTS, "digits": 2, "problems": 6, "samples": 4, "train_problems": 300, "calibration_problems": 32,
        "base_target_pass1": 0.2, "pretrain_lr": 0.003, "pretrain_batch": 32, "pretrain_max_steps": 60,
        "rl_steps": 3, "rl_prompts": 4, "rl_group": 4, "d_model": 32, "n_layers": 1, "n_heads": 2}


def test_budget_fixes_at_least_five_seeds_and_k_of_64() -> None:
    exp = CLAIM.experiment
    assert exp.budget.batch == 1  # a seed is a batch
    assert exp.budget.max_units >= 5 and exp.verdict.min_n == exp.budget.max_units  # fixed number of seeds
    assert DEFAULTS["samples"] >= 64


def test_mode_b_calls_no_model_and_names_the_organism() -> None:
    assert CHECK.models("local/qwen2.5-coder-0.5b", DEFAULTS) == {}
    subject = CHECK.subject("local/qwen2.5-coder-0.5b", DEFAULTS)
    assert re.fullmatch(r"tinyrl/[0-9a-f]{12}", subject)
    assert CHECK.subject("openai/gpt-4o", DEFAULTS) == subject  # never the --model string
    assert CHECK.subject("x", {**DEFAULTS, "rl_steps": 201}) != subject  # the recipe is in the name
    assert runner._check_models(CLAIM, "openai/gpt-4o", {}) == []  # -> "does not call openai/gpt-4o"


def test_mode_a_asks_two_served_models_and_names_the_pair() -> None:
    params = {**DEFAULTS, "base_model": "openai/gpt-4o-mini", "rl_model": "openai/o4-mini"}
    assert CHECK.models("ignored", params) == {"base": "openai/gpt-4o-mini", "rl": "openai/o4-mini"}
    assert CHECK.subject("ignored", params) == "openai/gpt-4o-mini -> openai/o4-mini"
    reqs = CHECK.requests(generator.unit(0, 0, params)[0], params)
    assert {(r.arm, r.role, r.temperature, r.epochs) for r in reqs} == {
        ("base", "base", 1.0, 64), ("rl", "rl", 1.0, 64), ("base_cooled", "base", 0.6, 64)}


def test_torch_is_part_of_the_fingerprint() -> None:
    _, third = fingerprint.closure("codegap.experiments.rl_sharpening")
    assert "torch" in third and "torch" in fingerprint.distributions(third)


def _seed_table(per_seed_gain: list[float], problems: int = 50) -> pd.DataFrame:
    """A samples table where RL beats the base by a different amount on each seed (2 draws per problem)."""
    rows = []
    for unit, gain in enumerate(per_seed_gain):
        for j in range(problems):
            for arm in ("base", "rl", "base_cooled", "sft"):
                right = j < problems * (0.3 + (gain if arm == "rl" else 0.0))
                for e in range(2):
                    rows.append(SampleRow(unit=unit, instance=f"s{unit}-p{j}", arm=arm, epoch=e, correct=right))
    return frame(rows)


def test_the_interval_carries_seed_to_seed_variation() -> None:
    """Design fix: the unit is a training seed; seeds that disagree give a wide interval."""
    params = {**DEFAULTS, "samples": 2}
    steady = {o.name: o for o in analysis.analyse(_seed_table([0.2] * 6), params)}
    varied = {o.name: o for o in analysis.analyse(_seed_table([0.0, 0.4, 0.0, 0.4, 0.0, 0.4]), params)}
    for obs in (steady, varied):
        o = obs["rl_minus_base_pass1"]
        assert o.design == "replicates" and o.unit == "seed" and o.n == 6 and len(o.within_var) == 6
    s, v = (stats.estimate(o["rl_minus_base_pass1"]) for o in (steady, varied))
    assert s.value == pytest.approx(v.value) == pytest.approx(0.2)
    assert (v.ci_high - v.ci_low) > 3 * (s.ci_high - s.ci_low) > 0  # identical seeds still get a floor
    assert v.ci_low < 0 < s.ci_low  # one seed's value would have looked decided


def test_a_tiny_organism_is_reproducible_and_answers_every_arm() -> None:
    probs = generator.unit(0, 3, TINY)
    seen: list[tuple[int, int]] = []
    a = organism.train_unit(0, 3, probs, TINY, progress=lambda d, t: seen.append((d, t)))
    b = organism.train_unit(0, 3, probs, TINY)
    def facts(out: Any) -> dict[str, Any]:  # everything but the wall time
        return {arm: {k: v for k, v in f.items() if k != "train_seconds"} for arm, f in out.arm_meta.items()}

    assert a.replies == b.replies and facts(a) == facts(b)
    assert seen[-1] == (len(organism.PHASES), len(organism.PHASES))
    for p in probs:
        for arm in ("base", "rl", "base_cooled", "sft"):
            draws = a.replies[(p.id, arm)]
            assert len(draws) == TINY["samples"] and all(len(x) == TINY["digits"] + 1 for x in draws)
    assert 0.05 <= a.arm_meta["base_cooled"]["temperature"] <= 2.0
    assert a.arm_meta["base"]["temperature"] == 1.0 and a.arm_meta["base"]["pretrain_steps"] <= 60
    assert "torch" in a.environment


def _served_answer(role: str):
    def answer(messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        expr = re.search(r"Compute (.+?)\.\n", messages[-1]["content"]).group(1)
        value = eval(expr, {"__builtins__": {}})
        if role == "rl" or body.get("seed", 0) % 4 == 0:
            return f"Step by step.\nAnswer: {value}"
        return f"Answer: {value + 7}"
    return answer


@pytest.mark.timeout(300)
def test_mode_a_runs_two_served_models_through_the_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    overrides = {"base_model": "openai-api/rlsbase/base-a", "rl_model": "openai-api/rlsrl/tuned-a",
                 "samples": 4, "mode_a_problems": 3}
    with OpenAIStub(answer=_served_answer("base")) as base, OpenAIStub(answer=_served_answer("rl")) as tuned:
        for name, srv in (("RLSBASE", base), ("RLSRL", tuned)):
            monkeypatch.setenv(f"{name}_BASE_URL", srv.base_url)
            monkeypatch.setenv(f"{name}_API_KEY", "x")
        path = runner.run_claim(CLAIM, model="openai-api/rlsbase/base-a", seed=0, overrides=overrides, report=False,
                                max_units=1)
        assert len(tuned.calls) == 3 * 4 and len(base.calls) == 3 * 4 * 2  # base answers base and base_cooled
        assert {c["temperature"] for c in base.calls} == {1.0, 0.6}
    rec = RunRecord.model_validate_json(path.read_text())
    assert rec.subject == "openai-api/rlsbase/base-a -> openai-api/rlsrl/tuned-a"
    assert set(rec.provenance.models) == {"base", "rl"}
    m = {x.name: x for x in rec.metrics}
    assert m["rl_pass1"].value == 1.0 and m["rl_pass1"].n == 3 and m["rl_pass1"].unit == "problem"
    assert m["rl_minus_sft_pass1"].n == 0  # no continued-SFT model in Mode A
    _, rows = read(tmp_path / rec.samples)
    assert {r.role for r in rows} == {"base", "rl"} and {r.arm for r in rows} == {"base", "rl", "base_cooled"}


def test_a_mode_b_record_is_filed_under_the_organism_and_rescores(synthetic_run, tmp_path: Path) -> None:
    """Issue 8: the record names what was run, never the --model string, and says no model was called;
    its stored draws re-score to the same metrics without training anything."""
    from codegap.rescore import rescore_record

    rec = synthetic_run("rl-sharpening", "limited", max_units=1)
    root = tmp_path / "rl-sharpening-limited"
    records = list((root / "results" / "records" / "rl-sharpening").glob("*.json"))
    assert [p.name.split("__", 1)[1] for p in records] == [f"tinyrl--{rec.subject.split('/')[1]}.json"]
    out = rescore_record(rec, CLAIM, root / "results")
    assert out.status == "reproduced", out.messages
    assert rec.subject.startswith("tinyrl/") and rec.model == "openai-api/syn/limited"
    assert rec.provenance.models == {} and rec.provenance.model_version == "no model called"
    assert rec.provenance.model_calls == 0 and "torch" in rec.provenance.packages
    assert rec.provenance.sampling["base_cooled"]["temperature"] is None  # matched per seed, after training
    assert rec.spent.units == 1 and rec.verdict == "inconclusive"  # one seed is below min_n
