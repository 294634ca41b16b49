"""Mode B: train one seed's organisms (base, RL, continued SFT) and draw their answers.

The recipe, per training seed (all sizes from the claim's parameters):

1. **Base.** A tiny transformer learns d-digit addition by SFT on
   `train_problems` correct demonstrations (constant learning rate) and stops
   as soon as its pass@1 at temperature 1 on `calibration_problems` separate
   problems reaches `base_target_pass1` (checked every 10 steps). Why a target
   and not a step count: this model learns addition in a sharp transition,
   so a fixed step count leaves one seed at pass@1 = 0 and the next at 0.4;
   stopping at a target gives every seed a base of the same strength, one
   that solves some problems sometimes, like a base LLM on hard problems.
2. **RL.** A copy is tuned with a 0/1 verifier reward (GRPO-style, `rl_steps`
   steps of `rl_prompts` problems x `rl_group` samples) on the training
   problems.
3. **Continued SFT (control).** Another copy gets `rl_steps` more steps of
   plain SFT on the same problems (`rl_prompts` per step, same learning rate):
   the same training budget without a reward.
4. **Cooled base (control).** The base at the temperature at which it is as
   certain as the RL model (mean next-token entropy along greedy answers on
   the calibration problems; `codegap.organisms.train.matched_temperature`).
5. **Draws.** `samples` answers per held-out problem from each arm, each arm
   from its own seeded generator.

Held-out problems are never trained on. Everything is seeded from (run seed,
unit); see `codegap.organisms.determinism` for what else decides the numbers.
"""

from __future__ import annotations

import copy
from typing import Any, Sequence

from codegap.experiments.rl_sharpening.generator import CLAIM, Problem
from codegap.organisms.check import Progress, UnitOutput, timed

#: the parameters that define the organism recipe (the subject's digest)
RECIPE = ("digits", "problems", "samples", "temperature", "train_problems", "calibration_problems",
          "base_target_pass1", "pretrain_lr", "pretrain_batch", "pretrain_max_steps", "rl_steps", "rl_prompts",
          "rl_group", "rl_lr", "d_model", "n_layers", "n_heads")
PHASES = ("base", "rl", "sft", "match", "draws")


def organism_seed(run_seed: int, unit: int) -> int:
    from codegap.organisms.determinism import sub_seed

    return sub_seed(run_seed, CLAIM, unit)


def problem_sets(unit: int, run_seed: int, problems: Sequence[Problem],
                 params: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """(calibration, training) problems of seed `unit`: disjoint from each other and from the held-out ones."""
    from codegap.organisms import addition

    d = int(params["digits"])
    held = frozenset(_pair(p) for p in problems)
    cal = addition.draw(run_seed, (CLAIM, "calibration", unit), int(params["calibration_problems"]), d, exclude=held)
    train = addition.draw(run_seed, (CLAIM, "train", unit), int(params["train_problems"]), d,
                          exclude=held | {(s.a, s.b) for s in cal})
    return cal, train


def train_unit(unit: int, run_seed: int, problems: Sequence[Problem], params: dict[str, Any],
               progress: Progress | None = None) -> UnitOutput:
    """Train seed `unit`'s organisms and draw every arm's answers to `problems` (see module doc)."""
    from codegap.organisms import addition, determinism as det, train as tr
    from codegap.organisms.model import TinyGPT

    d = int(params["digits"])
    k = int(params["samples"])
    temp = float(params["temperature"])
    seed = organism_seed(run_seed, unit)
    det.configure(seed)
    cal, train = problem_sets(unit, run_seed, problems, params)
    tp, ta = addition.tensor([s.prompt for s in train]), addition.tensor([s.answer for s in train])
    cp, ca = addition.tensor([s.prompt for s in cal]), addition.tensor([s.answer for s in cal])
    ep = addition.tensor([p.text for p in problems])
    seconds: dict[str, float] = {}
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(PHASES))

    model = TinyGPT(len(addition.VOCAB), addition.seq_len(d), int(params["d_model"]), int(params["n_layers"]),
                    int(params["n_heads"]))
    check_gen = det.generator(det.sub_seed(seed, "calibration draws"))
    target = float(params["base_target_pass1"])
    base_log = timed(seconds, "base", tr.sft, model, tp, ta, steps=int(params["pretrain_max_steps"]),
                     batch=int(params["pretrain_batch"]), lr=float(params["pretrain_lr"]),
                     gen=det.generator(det.sub_seed(seed, "pretrain")), schedule="constant",
                     stop=lambda: tr.sampled_accuracy(model, cp, ca, 4, temperature=temp, gen=check_gen) >= target,
                     check_every=10, label="base")
    step()
    rl_model = copy.deepcopy(model)
    rl_log = timed(seconds, "rl", tr.rl, rl_model, tp, ta, steps=int(params["rl_steps"]), per_step=int(params["rl_prompts"]),
          group=int(params["rl_group"]), lr=float(params["rl_lr"]), temperature=temp,
          gen=det.generator(det.sub_seed(seed, "rl")), label="rl")
    step()
    sft_model = copy.deepcopy(model)
    timed(seconds, "sft", tr.sft, sft_model, tp, ta, steps=int(params["rl_steps"]), batch=int(params["rl_prompts"]),
          lr=float(params["rl_lr"]), gen=det.generator(det.sub_seed(seed, "sft")), schedule="constant", label="sft")
    step()
    target_entropy = tr.greedy_entropy(rl_model, cp, d + 1, temp)
    cooled = timed(seconds, "match", tr.matched_temperature, model, cp, d + 1, target_entropy)
    step()
    arms = {"base": (model, temp), "rl": (rl_model, temp), "base_cooled": (model, cooled), "sft": (sft_model, temp)}
    replies: dict[tuple[str, str], list[str]] = {}
    draw_seconds: dict[str, float] = {}
    for arm, (m, t) in arms.items():
        rows = timed(draw_seconds, arm, tr.draws, m, ep, k, d + 1, temperature=t,
                     gen=det.generator(det.sub_seed(seed, "draws", arm)))
        texts = tr.decode_rows(rows)
        for j, p in enumerate(problems):
            replies[(p.id, arm)] = texts[j * k:(j + 1) * k]
    step()
    window = max(1, len(rl_log.values) // 10)
    facts = {"pretrain_steps": base_log.steps, "train_seconds": round(sum(seconds.values()), 2),
             "rl_reward_start": round(sum(rl_log.values[:window]) / window, 4),
             "rl_reward_end": round(sum(rl_log.values[-window:]) / window, 4)}
    return UnitOutput(replies,
                      arm_meta={arm: {**facts, "temperature": round(t, 4)} for arm, (_, t) in arms.items()},
                      seconds=draw_seconds, environment=det.environment_label())


def _pair(p: Problem) -> tuple[int, int]:
    a, b = p.text.rstrip("=").split("+")
    return int(a), int(b)
