"""RL sharpening vs pass@k: does RL raise pass@1 while the base model wins at large k?

Two modes produce the same table, one row per (model, problem) with the
number of samples `n` and correct samples `c`, from which pass@k for any
k <= n is recomputed with the unbiased estimator (`codegap.stats.pass_at_k`):

- Mode A (two model strings, e.g. a base and an RL-tuned checkpoint behind
  OpenAI-compatible endpoints): the verification-gap code problems (functions
  specified in words, hidden tests run in the sandbox), each sampled `samples`
  times per model through inspect epochs, each epoch with its own seed.
- Mode B (default, CPU only): `codegap.tinyrl` pretrains a tiny transformer on
  generated addition problems, RL-tunes it with a verifier reward, and samples
  both on held-out problems. The verdict is then about that tiny pair, not
  about the notebook's `model`.

Curves carry 95% bootstrap intervals from resampling problems (paired: the
same resampled problems for both models when comparing them).
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

import numpy as np

from codegap import stats
from codegap.tasks import verification
from codegap.verdicts import Metric

# --- Mode A: inspect task ---------------------------------------------------------------------------


def epoch_seed(seed: int, epoch: int) -> int:
    """A distinct, reproducible sampling seed per epoch.

    Why: one fixed seed for every epoch makes a seeded server (vLLM, llama.cpp)
    return the same sample n times, which would turn pass@k into pass@1.
    """
    digest = hashlib.sha256(f"rl-sharpening:{seed}:{epoch}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def epoch_seeded_generate(seed: int, max_tokens: int) -> Any:
    from inspect_ai.solver import Generate, TaskState, solver

    @solver(name="epoch_seeded_generate")
    def _make() -> Any:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            return await generate(state, seed=epoch_seed(seed, state.epoch), max_tokens=max_tokens)

        return solve

    return _make()


def tests_scorer() -> Any:
    """Correct when the reply's function passes every hidden test (run in the sandbox)."""
    import anyio
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer, stderr
    from inspect_ai.solver import TaskState

    @scorer(metrics=[accuracy(), stderr()], name="hidden_tests")
    def _make() -> Any:
        async def score(state: TaskState, target: Target) -> Score:
            problem = verification.Problem.from_metadata(state.metadata)
            g = await anyio.to_thread.run_sync(verification.grade, state.output.completion, problem)
            return Score(value=CORRECT if g.correct else INCORRECT, explanation=g.detail,
                         metadata={"unparseable": g.unparseable, "passed": g.passed, "total": g.total})

        return score

    return _make()


def task_mode_a(seed: int = 0, n: int = 20, steps: int = 3, samples: int = 8,
                max_tokens: int = verification.ROUND_MAX_TOKENS) -> Any:
    """Code problems sampled `samples` times each (inspect epochs; keep every epoch's score)."""
    from inspect_ai import Epochs, Task
    from inspect_ai.dataset import MemoryDataset

    return Task(
        dataset=MemoryDataset(verification.samples(seed, n, steps), name=f"rl-sharpening-code-s{steps}"),
        solver=epoch_seeded_generate(seed, max_tokens),
        scorer=tests_scorer(),
        epochs=Epochs(samples, "mean"),
        name="rl_sharpening_mode_a",
    )


def counts_from_log(log: Any, label: str) -> Any:
    """(model label, problem, n, c, unparseable) per problem from a Mode A EvalLog."""
    import pandas as pd

    if log.status != "success":
        raise RuntimeError(f"eval of {log.eval.model} ended with status {log.status!r}")
    rows: dict[str, dict[str, Any]] = {}
    for s in log.samples or []:
        score = next(iter((s.scores or {}).values()), None)
        row = rows.setdefault(str(s.id), {"model": label, "problem": str(s.id), "n": 0, "c": 0, "unparseable": 0})
        row["n"] += 1
        row["c"] += int(score is not None and score.value == "C")
        row["unparseable"] += int(score is None or bool((score.metadata or {}).get("unparseable")))
    return pd.DataFrame(list(rows.values()))


# --- Mode B: the tiny trained pair -------------------------------------------------------------------


def counts_mode_b(result: Any, run: str = "") -> Any:
    """The counts table from a `codegap.tinyrl.ModeBResult`.

    `run` tags the problems of one training run, so tables of several runs
    (different training seeds) can be stacked: the bootstrap then resamples
    (run, problem) pairs and the verdict covers the training recipe, not one draw.
    """
    import pandas as pd

    rows = []
    for label, counts in (("base", result.base_counts), ("rl", result.rl_counts)):
        for prob, (n, c) in zip(result.problems, counts):
            rows.append({"model": label, "problem": f"{run}:{prob}" if run else prob, "n": int(n), "c": int(c),
                         "unparseable": 0})
    return pd.DataFrame(rows)


# --- pass@k curves, crossing, metrics ------------------------------------------------------------------


def _per_problem(counts: Any, label: str, k: int) -> np.ndarray:
    sub = counts[counts["model"] == label].sort_values("problem")
    return np.array([stats.pass_at_k(int(n), int(c), k) for n, c in zip(sub["n"], sub["c"])])


def max_k(counts: Any) -> int:
    """The largest k every problem supports (the smallest n)."""
    return int(counts["n"].min())


def _check_paired(counts: Any) -> None:
    base = sorted(counts[counts["model"] == "base"]["problem"])
    rl = sorted(counts[counts["model"] == "rl"]["problem"])
    if not base or base != rl:
        raise ValueError("counts: 'base' and 'rl' must cover the same, non-empty set of problems")


def passk_curves(counts: Any, ks: Sequence[int] | None = None, *, seed: int = 0,
                 n_resamples: int = 1000) -> Any:
    """pass@k with bootstrap 95% intervals per model and k, and the rl - base difference (paired)."""
    import pandas as pd

    _check_paired(counts)
    ks = list(ks or range(1, max_k(counts) + 1))
    rows = []
    for k in ks:
        base, rl = _per_problem(counts, "base", k), _per_problem(counts, "rl", k)
        for label, vals in (("base", base), ("rl", rl)):
            lo, hi = stats.bootstrap_ci(vals, np.mean, seed=seed, n_resamples=n_resamples)
            rows.append({"series": label, "k": k, "value": float(vals.mean()), "ci_low": lo, "ci_high": hi})
        lo, hi = stats.bootstrap_ci((rl, base), lambda a, b: float(np.mean(a) - np.mean(b)), seed=seed,
                                    n_resamples=n_resamples, paired=True)
        rows.append({"series": "rl - base", "k": k, "value": float(rl.mean() - base.mean()),
                     "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def crossing(curves: Any) -> dict[str, Any]:
    """Where rl - base changes sign, from the point estimates, and where the base is clearly ahead.

    Returns `cross_k` (first k at which the difference is <= 0 after being > 0
    at k = 1; None if it never does) and `base_clearly_ahead_from` (first k
    whose whole interval lies below 0; None if none).
    """
    diff = curves[curves["series"] == "rl - base"].sort_values("k")
    cross_k = None
    if len(diff) and diff.iloc[0]["value"] > 0:
        below = diff[diff["value"] <= 0]
        cross_k = int(below.iloc[0]["k"]) if len(below) else None
    clear = diff[diff["ci_high"] < 0]
    return {"cross_k": cross_k, "base_clearly_ahead_from": int(clear.iloc[0]["k"]) if len(clear) else None}


def metrics(counts: Any, seed: int = 0, context: str = "") -> list[Metric]:
    """The two verdict metrics (paired over problems) plus pass@1 and pass@max of each model.

    `context` (e.g. which pair was compared) is added to every metric's note, so
    it travels with the numbers into the results record.
    """
    _check_paired(counts)
    tail = f"; {context}" if context else ""
    kmax = max_k(counts)
    out: list[Metric] = []
    b1, r1 = _per_problem(counts, "base", 1), _per_problem(counts, "rl", 1)
    bk, rk = _per_problem(counts, "base", kmax), _per_problem(counts, "rl", kmax)
    out.append(stats.diff_metric("rl_minus_base_pass1", r1, b1, seed=seed, paired=True,
                                 note="bootstrap over problems" + tail))
    out.append(stats.diff_metric("base_minus_rl_passmax", bk, rk, seed=seed, paired=True,
                                 note=f"k = {kmax}; bootstrap over problems" + tail))
    for name, vals, k in (("base_pass1", b1, 1), ("rl_pass1", r1, 1),
                          ("base_passmax", bk, kmax), ("rl_passmax", rk, kmax)):
        out.append(stats.mean_metric(name, vals, seed=seed, note=f"k = {k}" + tail))
    return out


def curve_chart(curves: Any, title: str) -> Any:
    """pass@k of both models on a log-k axis with bootstrap bands."""
    import altair as alt

    data = curves[curves["series"] != "rl - base"]
    base = alt.Chart(data).encode(
        x=alt.X("k:Q", scale=alt.Scale(type="log", base=2), title="k (samples per problem)"),
        color=alt.Color("series:N", title="model"),
    )
    band = base.mark_area(opacity=0.2).encode(y="ci_low:Q", y2="ci_high:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title="pass@k", scale=alt.Scale(domain=[0, 1])),
        tooltip=["series", "k", "value", "ci_low", "ci_high"],
    )
    return (band + line).properties(title=title, width=420, height=280)
