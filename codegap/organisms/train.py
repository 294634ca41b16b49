"""Training and sampling of the tiny organisms: supervised fine-tuning, verifier-reward RL, draws.

Why each choice:
- **SFT** is next-token cross-entropy on the answer tokens of demonstrations,
  with AdamW and a cosine schedule over a fixed number of steps. A fixed step
  budget (not convergence) is what makes a base model "partly trained" and
  what keeps every data size's run equally long.
- **RL** is GRPO-style REINFORCE with a 0/1 verifier reward: each step draws
  `prompts` problems, samples `group` answers for each at temperature 1, and
  weights each answer's log-probability by its reward minus its group's mean
  reward. No KL term, no value model: the simplest verifier-reward method that
  is known to sharpen.
- **Draws** come from a generator passed in, in fixed-size chunks, so the
  draws of one arm do not depend on how many other arms were sampled before.
- **Matched temperature**: the temperature at which one model's next-token
  distributions along its own greedy answers are as uncertain (mean entropy)
  as another model's at temperature 1; found by bisection (entropy grows with
  temperature for fixed logits).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from codegap.organisms.model import TinyGPT, mean_entropy

Log = Callable[[str], None]


@dataclass
class TrainLog:
    """What a training phase did: losses or rewards every `every` steps, and its wall time."""

    values: list[float] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0


def sft(model: TinyGPT, prompts: torch.Tensor, answers: torch.Tensor, *, steps: int, batch: int, lr: float,
        gen: torch.Generator, schedule: str = "cosine", every: int = 50, log: Log | None = None,
        label: str = "sft", stop: Callable[[], bool] | None = None, check_every: int = 10,
        min_steps: int = 0) -> TrainLog:
    """Supervised training on (prompt, answer) rows; returns the loss every `every` steps.

    `schedule` is "cosine" (annealed to zero over `steps`) or "constant". With
    `stop`, training ends early at the first check (every `check_every` steps
    from `min_steps` on) where `stop()` is true: `steps` is then the most.
    """
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"{label}: schedule must be cosine or constant, got {schedule!r}")
    if len(prompts) != len(answers) or len(prompts) == 0:
        raise ValueError(f"{label}: need equally many prompts and answers, and at least one")
    t0 = time.perf_counter()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if schedule == "cosine" else None
    out = TrainLog()
    model.train()
    for step in range(steps):
        idx = torch.randint(len(prompts), (batch,), generator=gen)
        loss = -model.answer_logprobs(prompts[idx], answers[idx]).mean() / answers.shape[1]
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if sched is not None:
            sched.step()
        out.steps = step + 1
        if step % every == 0 or step == steps - 1:
            out.values.append(round(float(loss.detach()), 5))
            if log:
                log(f"{label} step {step}: loss {out.values[-1]:.3f}")
        if stop is not None and out.steps >= min_steps and out.steps % check_every == 0:
            model.eval()
            if stop():
                break
            model.train()
    model.eval()
    out.seconds = time.perf_counter() - t0
    return out


def rl(model: TinyGPT, prompts: torch.Tensor, answers: torch.Tensor, *, steps: int, per_step: int, group: int,
       lr: float, gen: torch.Generator, temperature: float = 1.0, every: int = 25, log: Log | None = None,
       label: str = "rl") -> TrainLog:
    """GRPO-style policy gradient with an exact-match reward against `answers`; returns mean reward per step.

    `answers` are the verifier's reference answers: the reward of a sampled
    answer is 1 when it equals its row's reference exactly, else 0.
    """
    t0 = time.perf_counter()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    steps_out = answers.shape[1]
    out = TrainLog()
    for step in range(steps):
        idx = torch.randint(len(prompts), (per_step,), generator=gen).repeat_interleave(group)
        batch = prompts[idx]
        model.eval()
        sampled = model.sample(batch, steps_out, temperature=temperature, generator=gen)
        reward = (sampled == answers[idx]).all(-1).float()
        grouped = reward.view(per_step, group)
        adv = (grouped - grouped.mean(dim=1, keepdim=True)).view(-1)
        out.values.append(round(float(reward.mean()), 5))
        out.steps = step + 1
        if log and (step % every == 0 or step == steps - 1):
            log(f"{label} step {step}: mean reward {out.values[-1]:.3f}")
        if adv.abs().sum() == 0:
            continue  # every group all right or all wrong: no signal this step
        model.train()
        logp = model.answer_logprobs(batch, sampled)
        loss = -(adv * logp).sum() / (adv.ne(0).sum() * steps_out)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    out.seconds = time.perf_counter() - t0
    return out


@torch.no_grad()
def draws(model: TinyGPT, prompts: torch.Tensor, n: int, steps: int, *, temperature: float,
          gen: torch.Generator, chunk: int = 4096) -> torch.Tensor:
    """`n` sampled answers per prompt, prompt-major: (rows * n, steps)."""
    model.eval()
    rep = prompts.repeat_interleave(n, dim=0)
    parts = [model.sample(rep[s:s + chunk], steps, temperature=temperature, generator=gen)
             for s in range(0, len(rep), chunk)]
    return torch.cat(parts) if parts else torch.empty((0, steps), dtype=torch.long)


@torch.no_grad()
def greedy(model: TinyGPT, prompts: torch.Tensor, steps: int, chunk: int = 4096) -> torch.Tensor:
    """The greedy answer of every prompt: (rows, steps)."""
    model.eval()
    return torch.cat([model.sample(prompts[s:s + chunk], steps, temperature=0.0)
                      for s in range(0, len(prompts), chunk)])


@torch.no_grad()
def greedy_entropy(model: TinyGPT, prompts: torch.Tensor, steps: int, temperature: float,
                   path: torch.Tensor | None = None) -> float:
    """Mean next-token entropy at `temperature` along the model's greedy answers (or along `path`)."""
    path = greedy(model, prompts, steps) if path is None else path
    return mean_entropy(model.answer_logits(prompts, path), temperature)


@torch.no_grad()
def matched_temperature(model: TinyGPT, prompts: torch.Tensor, steps: int, target: float, *,
                        low: float = 0.05, high: float = 2.0, iterations: int = 30) -> float:
    """The temperature at which `model` is as uncertain as `target` (mean greedy-path entropy, nats).

    Clamped to [low, high]: a target below the model's entropy at `low` gives
    `low`, one above its entropy at `high` gives `high`.
    """
    path = greedy(model, prompts, steps)
    logits = model.answer_logits(prompts, path)
    if mean_entropy(logits, low) >= target:
        return low
    if mean_entropy(logits, high) <= target:
        return high
    lo, hi = low, high
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if mean_entropy(logits, mid) < target:
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2, 4)


@torch.no_grad()
def sampled_accuracy(model: TinyGPT, prompts: torch.Tensor, answers: torch.Tensor, n: int, *,
                     temperature: float, gen: torch.Generator) -> float:
    """Share of `n` draws per prompt that equal its answer exactly (pass@1 estimated by sampling)."""
    got = draws(model, prompts, n, answers.shape[1], temperature=temperature, gen=gen)
    return float((got == answers.repeat_interleave(n, dim=0)).all(-1).float().mean())


@torch.no_grad()
def greedy_accuracy(model: TinyGPT, prompts: torch.Tensor, answers: torch.Tensor) -> float:
    """Share of prompts whose greedy answer is exactly right."""
    return float((greedy(model, prompts, answers.shape[1]) == answers).all(-1).float().mean())


def decode_rows(rows: torch.Tensor) -> list[str]:
    """Token rows as text (the organisms' vocabulary)."""
    from codegap.organisms.addition import decode

    return [decode(r.tolist()) for r in rows]
