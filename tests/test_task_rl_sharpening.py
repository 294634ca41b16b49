"""RL sharpening: the tiny task and model, GRPO training, pass@k curves, Mode A, and the notebook."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.tasks import rl_sharpening as rs
from codegap.tasks import verification as vg
from codegap.tinyrl import ModeBConfig, run_mode_b
from codegap.tinyrl.model import TinyGPT
from codegap.tinyrl.task import VOCAB, AddProblem, decode, encode, problems

REPO = Path(__file__).resolve().parents[1]

# --- the tiny task -----------------------------------------------------------------------------


@given(seed=st.integers(0, 10_000), digits=st.integers(1, 4), n=st.integers(1, 40))
def test_problems_valid_distinct_and_seeded(seed: int, digits: int, n: int) -> None:
    n = min(n, (10 ** digits) ** 2)
    ps = problems(seed, n, digits)
    assert ps == problems(seed, n, digits)
    assert len({(p.a, p.b) for p in ps}) == n
    for p in ps:
        assert 0 <= p.a < 10 ** digits and 0 <= p.b < 10 ** digits
        assert len(p.prompt) == 2 * digits + 2 and len(p.answer) == digits + 1
        assert int(p.answer[::-1]) == p.a + p.b  # the verifier's answer is the true sum
        assert p.check(p.answer) and not p.check(p.answer[::-1] + "0")
        assert decode(encode(p.prompt + p.answer)) == p.prompt + p.answer


def test_held_out_problems_exclude_training() -> None:
    train = problems(0, 300, 2, salt="train")
    held = problems(0, 100, 2, salt="eval", exclude=frozenset((p.a, p.b) for p in train))
    assert not {(p.a, p.b) for p in train} & {(p.a, p.b) for p in held}
    with pytest.raises(ValueError, match="distinct"):
        problems(0, 101, 1)
    with pytest.raises(ValueError, match="vocabulary"):
        encode("12a")


def test_answer_format() -> None:
    p = AddProblem(95, 7, 2)
    assert p.prompt == "95+07=" and p.answer == "201"  # 102 reversed, zero-padded to 3 digits
    assert not p.check("102") and not p.check("20")


def test_model_shapes_and_sampling_seeded() -> None:
    torch.manual_seed(0)
    m = TinyGPT(len(VOCAB), 10, d_model=16, n_layers=1, n_heads=2)
    x = torch.randint(0, len(VOCAB), (3, 6))
    assert m(x).shape == (3, 6, len(VOCAB))
    a = m.sample(x, 4, generator=torch.Generator().manual_seed(1))
    b = m.sample(x, 4, generator=torch.Generator().manual_seed(1))
    assert a.shape == (3, 4) and torch.equal(a, b)
    lp = m.answer_logprobs(x, a)
    assert lp.shape == (3,) and bool((lp <= 0).all())
    with pytest.raises(ValueError, match="max_len"):
        m(torch.zeros(1, 11, dtype=torch.long))


def test_mode_b_small_run_learns_and_is_reproducible() -> None:
    cfg = ModeBConfig(seed=3, digits=1, n_train=80, n_eval=20, n_samples=8, pretrain_steps=150,
                      pretrain_batch=64, rl_steps=10, rl_prompts=8, rl_group=4, d_model=32, threads=1)
    r1 = run_mode_b(cfg)
    r2 = run_mode_b(cfg)
    assert r1.base_counts == r2.base_counts and r1.rl_counts == r2.rl_counts
    assert len(r1.base_counts) == len(r1.problems) == 20
    assert all(n == 8 and 0 <= c <= 8 for n, c in r1.base_counts + r1.rl_counts)
    assert r1.pretrain_loss[-1] < r1.pretrain_loss[0]  # pretraining does something
    counts = rs.counts_mode_b(r1)
    assert set(counts["model"]) == {"base", "rl"} and len(counts) == 40
    tagged = rs.counts_mode_b(r1, run="run7")
    assert tagged["problem"].str.startswith("run7:").all() and tagged["problem"].nunique() == 20


# --- pass@k curves and metrics --------------------------------------------------------------------


def _counts(base: list[tuple[int, int]], rl: list[tuple[int, int]]) -> pd.DataFrame:
    rows = [{"model": label, "problem": f"p{i:03d}", "n": n, "c": c, "unparseable": 0}
            for label, cs in (("base", base), ("rl", rl)) for i, (n, c) in enumerate(cs)]
    return pd.DataFrame(rows)


def test_sharpened_pair_gives_holds_pattern() -> None:
    """RL concentrates mass: more right on easy problems, zero on the hard ones the base sometimes solves."""
    base = [(16, 6)] * 30 + [(16, 1)] * 20
    rl = [(16, 14)] * 30 + [(16, 0)] * 20
    counts = _counts(base, rl)
    curves = rs.passk_curves(counts, seed=0, n_resamples=300)
    cross = rs.crossing(curves)
    assert cross["cross_k"] is not None and 1 < cross["cross_k"] <= 16
    m = {x.name: x for x in rs.metrics(counts)}
    assert m["rl_minus_base_pass1"].ci_low > 0
    assert m["base_minus_rl_passmax"].ci_low > 0
    assert m["base_passmax"].value == 1.0 and m["rl_passmax"].value == pytest.approx(0.6)


def test_rl_better_everywhere_has_no_crossing() -> None:
    base = [(8, 2)] * 25 + [(8, 0)] * 25
    rl = [(8, 6)] * 25 + [(8, 3)] * 25
    counts = _counts(base, rl)
    curves = rs.passk_curves(counts, ks=[1, 2, 4, 8], n_resamples=300)
    assert rs.crossing(curves)["cross_k"] is None
    diff = curves[curves["series"] == "rl - base"]
    assert (diff["value"] > 0).all()
    m = {x.name: x for x in rs.metrics(counts)}
    assert m["base_minus_rl_passmax"].ci_high < 0


def test_curves_match_estimator_and_need_paired_problems() -> None:
    counts = _counts([(4, 1), (4, 3)], [(4, 2), (4, 2)])
    curves = rs.passk_curves(counts, n_resamples=200)
    b2 = curves[(curves["series"] == "base") & (curves["k"] == 2)]["value"].item()
    assert b2 == pytest.approx((1 - 3 / 6 + 1.0) / 2)  # pass@2 of (4,1) is 1 - C(3,2)/C(4,2)
    assert rs.max_k(counts) == 4
    with pytest.raises(ValueError, match="same"):
        rs.passk_curves(counts[counts["model"] == "base"])


def test_epoch_seeds_differ_and_repeat() -> None:
    seeds = [rs.epoch_seed(0, e) for e in range(1, 50)]
    assert len(set(seeds)) == len(seeds)
    assert seeds == [rs.epoch_seed(0, e) for e in range(1, 50)]


# --- Mode A against an OpenAI-compatible stub --------------------------------------------------------


@pytest.mark.timeout(120)
def test_mode_a_counts_against_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codegap.models.engine import run_eval
    from tests.support.openai_server import OpenAIStub

    ps = vg.generate(0, 3, 2)
    by_prompt = {vg.prompt(p): p for p in ps}
    good_first = ps[0]

    def answer(messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        p = by_prompt[messages[-1]["content"]]
        # right only on the first problem, and only for odd seeds: c depends on the epoch's seed
        if p == good_first and body.get("seed", 0) % 2 == 1:
            return "```python\n" + p.reference_code() + "```"
        return "```python\ndef transform(xs):\n    return xs\n```"

    with OpenAIStub(answer=answer) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "x")
        # a model name of its own: inspect memoizes models by name, and another test's stub is gone
        log = run_eval(rs.task_mode_a(seed=0, n=3, steps=2, samples=6), "openai-api/test/stub-rl-mode-a", seed=0,
                       log_dir=tmp_path, cache=False)
        seeds = [c.get("seed") for c in srv.calls]
    assert len(seeds) == 18 and len(set(seeds)) == 6  # one distinct seed per epoch
    counts = rs.counts_from_log(log, "base")
    assert list(counts["n"]) == [6, 6, 6]
    expected_c = sum(rs.epoch_seed(0, e) % 2 for e in range(1, 7))
    assert counts.set_index("problem").loc[good_first.id, "c"] == expected_c
    assert counts["c"].sum() == expected_c


# --- the notebook ---------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_notebook_mode_b_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill as pm

    monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    outcome = tmp_path / "outcome.json"
    pm.execute_notebook(str(REPO / "notebooks" / "rl_sharpening.ipynb"), str(tmp_path / "out.ipynb"),
                        parameters={"n": 12, "samples": 8, "pretrain_steps": 60, "rl_steps": 4, "threads": 1, "train_runs": 2,
                                    "outcome_path": str(outcome), "log_dir": str(tmp_path / "logs")},
                        progress_bar=False, cwd=str(REPO), kernel_name="python3")
    data = json.loads(outcome.read_text())
    assert data["claim"] == "rl-sharpening"
    assert data["verdict"] in {"holds", "does not hold", "inconclusive"}
    assert data["extra"]["mode"] == "B" and "tiny model" in data["extra"]["note"]
    assert len(data["extra"]["counts"]) == 2 * 2 * 12  # models x training runs x problems
    assert {c["problem"].split(":")[0] for c in data["extra"]["counts"]} == {"run0", "run1"}
    assert {"rl_minus_base_pass1", "base_minus_rl_passmax"} <= {m["name"] for m in data["metrics"]}
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)  # the chart is static SVG
    assert not [o for o in outputs if o.get("name") == "stderr"]  # clean output
