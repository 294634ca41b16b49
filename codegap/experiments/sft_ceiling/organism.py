"""Train one seed's students (every teacher x data size, the clean control, the RL contrast).

The recipe, per training seed (sizes from the claim's parameters):

- Training problems: the largest size's problems are drawn once; a smaller
  size uses the first n of them (nested sets), and every teacher labels the
  same problems, so students differ only in what they were shown.
- SFT: a fresh tiny transformer per student, `sft_steps` steps of
  `sft_batch` demonstrations (cosine learning rate from `sft_lr`); all
  students of a seed start from the same initial weights, and students of
  the same size see their demonstrations in the same order (common random
  numbers make the comparisons between them tighter).
- RL contrast: the systematic student of the largest size, then `rl_steps`
  steps of verifier-reward RL (GRPO-style, `rl_prompts` problems x
  `rl_group` samples at temperature 1, reward 1 for the exact sum) on the
  same training problems: the demonstrations are replaced by a verifier.
- Evaluation: each student's greedy answer to every held-out problem.

The students of one seed are independent, so they train in `WORKERS`
processes (one thread each); each run is seeded on its own, so the result
does not depend on how many processes ran them or in which order.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Sequence

from codegap.experiments.sft_ceiling.generator import CLAIM, Problem, teacher_value, training_problems
from codegap.experiments.sft_ceiling.task import arm_names, sizes
from codegap.organisms.check import Progress, UnitOutput

#: the parameters that define the organism recipe (the subject's digest)
RECIPE = ("digits", "sizes", "eval_problems", "sft_steps", "sft_batch", "sft_lr", "rl_steps", "rl_prompts",
          "rl_group", "rl_lr", "d_model", "n_layers", "n_heads")
#: processes training one seed's students side by side (the machine budget is 2 cores)
WORKERS = 2


def organism_seed(run_seed: int, unit: int) -> int:
    from codegap.organisms.determinism import sub_seed

    return sub_seed(run_seed, CLAIM, unit)


def jobs(params: dict[str, Any]) -> list[tuple[str, int]]:
    """(teacher, size) of every student; the systematic student of the largest size also runs the RL contrast.

    Longest first, so two workers finish together.
    """
    ns = sizes(params)
    out = [("systematic", ns[-1]), ("clean", ns[-1])]
    out += [(t, n) for n in reversed(ns) for t in ("systematic", "noisy") if (t, n) != ("systematic", ns[-1])]
    return out


def train_student(teacher: str, size: int, unit: int, run_seed: int, problems: Sequence[Problem],
                  params: dict[str, Any]) -> dict[str, Any]:
    """One student (and, for the systematic student of the largest size, the RL contrast): its answers."""
    from codegap.organisms import addition, determinism as det, train as tr
    from codegap.organisms.model import TinyGPT

    t0 = time.perf_counter()
    d = int(params["digits"])
    seed = organism_seed(run_seed, unit)
    det.configure(det.sub_seed(seed, "init"))  # every student of a seed starts from the same weights
    model = TinyGPT(len(addition.VOCAB), addition.seq_len(d), int(params["d_model"]), int(params["n_layers"]),
                    int(params["n_heads"]))
    train = training_problems(unit, run_seed, params, list(problems))[:size]
    prompts = addition.tensor([s.prompt for s in train])
    labels = addition.tensor([addition.write_sum(teacher_value(teacher, run_seed, unit, s.a, s.b, d), d)
                              for s in train])
    tr.sft(model, prompts, labels, steps=int(params["sft_steps"]), batch=int(params["sft_batch"]),
           lr=float(params["sft_lr"]), gen=det.generator(det.sub_seed(seed, "batches", size)), label=f"{teacher}@{size}")
    ep = addition.tensor([p.text for p in problems])
    answers = {f"{teacher}@{size}": tr.decode_rows(tr.greedy(model, ep, d + 1))}
    facts: dict[str, Any] = {}
    if teacher == "systematic" and size == sizes(params)[-1]:
        truth = addition.tensor([s.answer for s in train])
        log = tr.rl(model, prompts, truth, steps=int(params["rl_steps"]), per_step=int(params["rl_prompts"]),
                    group=int(params["rl_group"]), lr=float(params["rl_lr"]), temperature=1.0,
                    gen=det.generator(det.sub_seed(seed, "rl")))
        answers["rl"] = tr.decode_rows(tr.greedy(model, ep, d + 1))
        window = max(1, len(log.values) // 10)
        facts = {"rl_reward_start": round(sum(log.values[:window]) / window, 4),
                 "rl_reward_end": round(sum(log.values[-window:]) / window, 4)}
    return {"answers": answers, "facts": facts, "seconds": time.perf_counter() - t0,
            "environment": det.environment_label()}


def train_unit(unit: int, run_seed: int, problems: Sequence[Problem], params: dict[str, Any],
               progress: Progress | None = None) -> UnitOutput:
    """Every student of seed `unit`, trained in `WORKERS` processes; their answers to `problems`."""
    todo = jobs(params)
    results: list[dict[str, Any]] = []
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: the determinism pins apply before torch runs
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=ctx) as pool:
        futures = [pool.submit(train_student, t, n, unit, run_seed, list(problems), params) for t, n in todo]
        for i, fut in enumerate(as_completed(futures), 1):
            results.append(fut.result())
            if progress:
                progress(i, len(futures))
    replies: dict[tuple[str, str], list[str]] = {}
    seconds: dict[str, float] = {}
    facts: dict[str, Any] = {"train_seconds": round(sum(r["seconds"] for r in results), 2)}
    for r in results:
        facts.update(r["facts"])
        for arm, texts in r["answers"].items():
            seconds[arm] = r["seconds"]
            for p, text in zip(problems, texts):
                replies[(p.id, arm)] = [text]
    envs = sorted({r["environment"] for r in results})
    missing = set(arm_names(params)) - set(seconds)
    if missing:
        raise RuntimeError(f"sft-ceiling: seed {unit} produced no students for {sorted(missing)}")
    return UnitOutput(replies, arm_meta={arm: facts for arm in seconds}, seconds=seconds,
                      environment="; ".join(envs))
