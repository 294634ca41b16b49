"""sft-ceiling design: the subject is the trained students, seeds are the units, a student is compared
with its own teacher on the same problems, and training gives the same students however it is scheduled."""

from __future__ import annotations

import re
from typing import Any

import pytest

from codegap import experiments, fingerprint, runner, stats
from codegap.claims import claim_by_id
from codegap.experiments.base import Request
from codegap.experiments.sft_ceiling import analysis, generator, organism, task
from codegap.samples import SampleRow, frame

CLAIM = claim_by_id("sft-ceiling")
DEFAULTS = dict(CLAIM.experiment.parameters)
CHECK = experiments.get("sft-ceiling")
TINY = {**DEFAULTS, "digits": 1, "sizes": [20, 40], "eval_problems": 8, "sft_steps": 30, "sft_batch": 16,
        "rl_steps": 2, "rl_prompts": 4, "rl_group": 4, "d_model": 16, "n_layers": 1, "n_heads": 2}


def test_budget_fixes_the_seeds_and_spans_half_to_eight_thousand_demonstrations() -> None:
    exp = CLAIM.experiment
    assert exp.budget.batch == 1 and exp.budget.max_units >= 5 and exp.verdict.min_n == exp.budget.max_units
    ns = task.sizes(DEFAULTS)
    assert ns[0] == 500 and ns[-1] == 8000 and ns[-1] == 2 * ns[-2]  # the last step is a doubling
    assert len(task.arm_names(DEFAULTS)) == 2 * len(ns) + 2


def test_no_model_is_called_and_the_students_are_named() -> None:
    assert CHECK.models("local/qwen2.5-coder-0.5b", DEFAULTS) == {}
    subject = CHECK.subject("openai/gpt-4o", DEFAULTS)
    assert re.fullmatch(r"tinysft/[0-9a-f]{12}", subject)
    assert CHECK.subject("x", {**DEFAULTS, "sft_steps": 1}) != subject
    assert runner._check_models(CLAIM, "openai/gpt-4o", {}) == []
    _, third = fingerprint.closure("codegap.experiments.sft_ceiling")
    assert "torch" in third


def _table(per_seed: list[dict[str, Any]]) -> Any:
    """Students that are right on a given share of problems (the first ones) on each seed."""
    rows = []
    for unit, shares in enumerate(per_seed):
        for p in generator.unit(unit, 0, {**DEFAULTS, "eval_problems": 200}):
            j = int(p.id.rsplit("-p", 1)[1])
            for arm in task.arm_names(DEFAULTS):
                share = shares.get(arm, 1.0)
                if share == "teacher":
                    reply = p.answer if arm == "rl" else {"systematic": p.systematic, "noisy": p.noisy,
                                                          "clean": p.answer}[task.teacher_of(arm)]
                else:
                    reply = p.answer if j < 200 * share else "0000"
                g = CHECK.grade(p, Request(arm=arm, prompt=p.text, max_tokens=4), reply, 0)
                rows.append(SampleRow(unit=unit, instance=p.id, arm=arm, reply=reply, correct=g.correct,
                                      detail=g.detail, meta=CHECK.instance_meta(p)))
    return frame(rows)


def test_a_student_that_copies_its_teacher_is_at_zero_and_the_doubling_takes_the_larger_gain() -> None:
    copy = {arm: "teacher" for arm in task.arm_names(DEFAULTS)}
    grows = {**copy, "noisy@4000": 0.8, "noisy@8000": 0.9}
    obs = {o.name: o for o in analysis.analyse(_table([copy, grows, copy]), DEFAULTS)}
    gap = obs["systematic_student_minus_teacher"]
    assert gap.design == "replicates" and gap.unit == "seed" and gap.values == (0.0, 0.0, 0.0)
    assert obs["systematic_copy_rate"].values == (1.0, 1.0, 1.0)
    assert obs["last_doubling_gain"].values[0] == 0.0 and obs["last_doubling_gain"].values[1] == pytest.approx(0.1)
    assert stats.estimate(obs["noisy_student_minus_teacher"]).ci_high > 0.02  # the seed that grows is seen


@pytest.mark.timeout(600)
def test_students_are_the_same_however_many_processes_train_them(monkeypatch: pytest.MonkeyPatch) -> None:
    probs = generator.unit(0, 4, TINY)
    two = organism.train_unit(0, 4, probs, TINY)
    monkeypatch.setattr(organism, "WORKERS", 1)
    one = organism.train_unit(0, 4, probs, TINY)
    assert one.replies == two.replies
    assert {arm for _, arm in two.replies} == set(task.arm_names(TINY))
    assert all(len(v) == 1 and len(v[0]) == 2 for v in two.replies.values())
    assert {"rl_reward_start", "rl_reward_end"} <= set(two.arm_meta["rl"]) and "torch" in two.environment
