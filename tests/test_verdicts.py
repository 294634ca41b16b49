"""The shared verdict function, on hand-made metrics and on synthetic runs of every live claim.

For each claim with an experiment, synthetic per-instance results are pushed
through that experiment's own `metrics()` (the code its notebook uses) and its
real rule from `claims/*.yaml`:

- a model that solves everything must give `does not hold` (every claim here
  predicts a failure, and a perfect model shows none);
- a model that never solves anything must also give `does not hold`;
- a model that answers at random (each answer right with probability 1/2,
  independent of arm and difficulty) must never give `holds`;
- a model that behaves as the claim says must give `holds` (so the rule can
  hold, and these tests can fail);
- below the rule's `min_n` the verdict is `inconclusive`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import pytest

from codegap.claims import Condition, Experiment, VerdictRule, load_claims
from codegap.verdicts import Metric, decide

Kind = str  # "perfect" | "hopeless" | "random" | "as_claimed"
Simulator = Callable[[Kind, int, int], list[Metric]]

# --- decide() on hand-made metrics ----------------------------------------------------------------


def _m(name: str, value: float, lo: float, hi: float, n: int = 50) -> Metric:
    return Metric(name, value, lo, hi, n)


RULE = VerdictRule(all=[Condition(metric="gain", op=">", threshold=0.0, why="w"),
                        Condition(metric="drop", op="<", threshold=0.1, why="w")], min_n=20)


@pytest.mark.parametrize(
    "gain, drop, expected",
    [
        ((0.2, 0.1, 0.3), (0.0, -0.05, 0.05), "holds"),
        ((0.0, 0.0, 0.0), (0.0, -0.05, 0.05), "does not hold"),  # interval at the threshold is a clear miss
        ((-0.2, -0.3, -0.1), (0.0, -0.05, 0.05), "does not hold"),
        ((0.2, 0.1, 0.3), (0.2, 0.1, 0.3), "does not hold"),  # '<': lo >= threshold fails
        ((0.05, -0.05, 0.15), (0.0, -0.05, 0.05), "inconclusive"),  # straddles 0
        ((0.2, 0.1, 0.3), (0.1, 0.05, 0.15), "inconclusive"),
        ((0.05, -0.05, 0.15), (0.2, 0.15, 0.3), "does not hold"),  # one clear failure beats undecided
    ],
)
def test_decide_states(gain: tuple, drop: tuple, expected: str) -> None:
    d = decide(RULE, [_m("gain", *gain), _m("drop", *drop)])
    assert d.verdict == expected, d.explain()


def test_decide_missing_metric_and_min_n() -> None:
    d = decide(RULE, [_m("gain", 0.2, 0.1, 0.3)])
    assert d.verdict == "inconclusive" and "missing" in d.explain()
    d = decide(RULE, [_m("gain", 0.2, 0.1, 0.3, n=19), _m("drop", 0.0, -0.05, 0.05)])
    assert d.verdict == "inconclusive" and "min_n" in d.explain()
    extra = decide(RULE, [_m("gain", 0.2, 0.1, 0.3), _m("drop", 0.0, -0.05, 0.05), _m("other", 9, 9, 9, n=1)])
    assert extra.verdict == "holds"  # metrics the rule does not use do not count toward min_n


def test_metric_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="outside"):
        Metric("x", 0.5, 0.6, 0.9, 10)
    with pytest.raises(ValueError, match="number"):
        Metric("x", float("nan"), 0.0, 1.0, 10)


# --- synthetic runs of each live claim -----------------------------------------------------------------


def _bern(rng: np.random.Generator, p: float, size: int) -> np.ndarray:
    return rng.random(size) < p


def _p(kind: Kind, claimed: float) -> float:
    return {"perfect": 1.0, "hopeless": 0.0, "random": 0.5}.get(kind, claimed)


def sim_iterative(kind: Kind, n: int, seed: int) -> list[Metric]:
    from codegap.tasks import iterative

    rng = np.random.default_rng(seed)
    claimed = {("direct", 1): 0.9, ("direct", 4): 0.5, ("direct", 8): 0.1,
               ("cot", 1): 0.9, ("cot", 4): 0.6, ("cot", 8): 0.3,
               ("code", 1): 0.9, ("code", 4): 0.9, ("code", 8): 0.9}
    rows = []
    for (arm, depth), p in claimed.items():
        for i, ok in enumerate(_bern(rng, _p(kind, p), n)):
            rows.append({"instance": f"d{depth}-{i}", "arm": arm, "depth": depth, "correct": bool(ok),
                         "unparseable": False})
    return iterative.metrics(pd.DataFrame(rows), seed=seed)


def sim_backtracking(kind: Kind, n: int, seed: int) -> list[Metric]:
    from codegap.tasks import backtracking

    rng = np.random.default_rng(seed)
    claimed = {("one_pass", 3): 0.9, ("one_pass", 5): 0.4, ("one_pass", 8): 0.05,
               ("retry", 3): 0.9, ("retry", 5): 0.5, ("retry", 8): 0.2,
               ("solver", 3): 0.85, ("solver", 5): 0.85, ("solver", 8): 0.8}
    rows = []
    for (arm, size), p in claimed.items():
        for i, ok in enumerate(_bern(rng, _p(kind, p), n)):
            rows.append({"instance": f"s{size}-{i}", "arm": arm, "size": size, "correct": bool(ok),
                         "unparseable": False})
    return backtracking.metrics(pd.DataFrame(rows), seed=seed)


def sim_cot(kind: Kind, n: int, seed: int) -> list[Metric]:
    from codegap.tasks import cot_shift

    rng = np.random.default_rng(seed)
    claimed = {("familiar", "direct"): 0.3, ("familiar", "cot"): 0.85,
               ("counterfactual", "direct"): 0.2, ("counterfactual", "cot"): 0.25}
    rows = []
    for (variant, arm), p in claimed.items():
        for i, ok in enumerate(_bern(rng, _p(kind, p), n)):
            rows.append({"instance": f"pair-{i}", "epoch": 1, "variant": variant, "arm": arm,
                         "correct": bool(ok), "unparseable": False})
    return cot_shift.metrics(pd.DataFrame(rows), seed=seed)


def sim_verification(kind: Kind, n: int, seed: int) -> list[Metric]:
    from codegap.tasks import verification

    rng = np.random.default_rng(seed)
    rows = []
    first = _bern(rng, _p(kind, 0.4), n)
    for i in range(n):
        inst = f"vg-{i}"
        rows.append({"instance": inst, "arm": "single", "round": 0, "correct": bool(first[i]), "unparseable": False})
        intrinsic, feedback = bool(first[i]), bool(first[i])
        for r in (1, 2):
            if kind == "random":
                intrinsic, feedback = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
            elif kind == "as_claimed":
                # review flips a few answers either way; feedback fixes most wrong ones and never breaks a pass
                if rng.random() < 0.08:
                    intrinsic = not intrinsic
                if not feedback and rng.random() < 0.5:
                    feedback = True
            rows.append({"instance": inst, "arm": "intrinsic", "round": r, "correct": intrinsic, "unparseable": False})
            rows.append({"instance": inst, "arm": "feedback", "round": r, "correct": feedback, "unparseable": False})
    return verification.metrics(pd.DataFrame(rows), seed=seed)


def sim_rl(kind: Kind, n: int, seed: int) -> list[Metric]:
    from codegap.tasks import rl_sharpening

    rng = np.random.default_rng(seed)
    samples = 16
    rows = []
    for i in range(n):
        if kind == "as_claimed":
            # the base spreads its mass; RL concentrates it: higher on most problems, gone on the hardest
            p_base = rng.uniform(0.02, 0.6)
            p_rl = min(1.0, p_base * 1.8) if p_base > 0.15 else 0.0
        else:
            p_base = p_rl = _p(kind, 0.0)
        for label, p in (("base", p_base), ("rl", p_rl)):
            rows.append({"model": label, "problem": f"p{i:04d}", "n": samples,
                         "c": int(rng.binomial(samples, p)), "unparseable": 0})
    return rl_sharpening.metrics(pd.DataFrame(rows), seed=seed)


SIMULATORS: dict[str, Simulator] = {
    "iterative-execution": sim_iterative,
    "backtracking-limit": sim_backtracking,
    "cot-imitation": sim_cot,
    "verification-gap": sim_verification,
    "rl-sharpening": sim_rl,
}


def _live_claims() -> list:
    return [c for c in load_claims() if isinstance(c.experiment, Experiment)]


def test_every_live_claim_has_a_simulator() -> None:
    missing = sorted(c.id for c in _live_claims() if c.id not in SIMULATORS)
    assert not missing, f"add a synthetic-run simulator to tests/test_verdicts.py for: {missing}"
    assert _live_claims(), "no claim with an experiment found in claims/"


@pytest.mark.parametrize("claim_id", sorted(SIMULATORS))
def test_synthetic_models_through_the_real_rule(claim_id: str) -> None:
    claims = {c.id: c for c in _live_claims()}
    if claim_id not in claims:
        pytest.fail(f"claims/{claim_id}.yaml has no experiment block, but a simulator exists for it")
    rule = claims[claim_id].experiment.verdict
    sim = SIMULATORS[claim_id]
    n = 200

    perfect = decide(rule, sim("perfect", n, 1))
    assert perfect.verdict == "does not hold", f"{claim_id}: perfect model -> {perfect.explain()}"

    hopeless = decide(rule, sim("hopeless", n, 2))
    assert hopeless.verdict == "does not hold", f"{claim_id}: never-right model -> {hopeless.explain()}"

    for seed in range(3):
        rand = decide(rule, sim("random", n, 10 + seed))
        assert rand.verdict != "holds", f"{claim_id}: random model (seed {seed}) -> {rand.explain()}"

    claimed = decide(rule, sim("as_claimed", n, 3))
    assert claimed.verdict == "holds", f"{claim_id}: model behaving as claimed -> {claimed.explain()}"

    small = decide(rule, sim("as_claimed", max(2, rule.min_n - 1), 4))
    assert small.verdict == "inconclusive", f"{claim_id}: below min_n -> {small.explain()}"
