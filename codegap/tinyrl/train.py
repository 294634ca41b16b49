"""Mode B of the RL-sharpening check: pretrain a tiny model, RL-tune it, count successes.

Why each choice:
- Pretraining is plain next-token cross-entropy on correct answers, stopped
  early on purpose (a step budget, not convergence): the base model is a
  partly trained sampler whose answers vary, like a base LLM.
- RL is GRPO-style REINFORCE with a verifier reward (1 if the answer is exactly
  right, else 0), group-mean baseline over `group` samples of the same prompt,
  no KL term, on the pretraining problems only. Held-out problems are never seen
  by either phase.
- Evaluation samples each held-out problem `n_samples` times at temperature 1
  from both models and keeps per-problem (n, c), so pass@k for any k <= n can be
  recomputed with the unbiased estimator.
Everything is seeded; torch runs on `threads` CPU threads.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn

from codegap.tinyrl.model import TinyGPT
from codegap.tinyrl.task import VOCAB, AddProblem, decode, encode, problems


@dataclass(frozen=True)
class ModeBConfig:
    """Sizes and budgets; the defaults run in about three minutes on two CPU cores."""

    seed: int = 0
    digits: int = 3
    n_train: int = 4000
    n_eval: int = 200
    n_samples: int = 16
    pretrain_steps: int = 450
    pretrain_batch: int = 128
    pretrain_lr: float = 3e-3
    rl_steps: int = 150
    rl_prompts: int = 32
    rl_group: int = 8
    rl_lr: float = 5e-4
    temperature: float = 1.0
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    threads: int = 1


@dataclass
class ModeBResult:
    config: ModeBConfig
    problems: list[str]
    base_counts: list[tuple[int, int]]
    rl_counts: list[tuple[int, int]]
    pretrain_loss: list[float] = field(default_factory=list)
    rl_reward: list[float] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _tensor(rows: Sequence[str]) -> torch.Tensor:
    return torch.tensor([encode(r) for r in rows], dtype=torch.long)


def pretrain(model: TinyGPT, train: Sequence[AddProblem], cfg: ModeBConfig, gen: torch.Generator,
             log: Callable[[str], None] | None = None) -> list[float]:
    """Supervised next-token training on the answer tokens; returns the loss every 50 steps."""
    prompts, answers = _tensor([p.prompt for p in train]), _tensor([p.answer for p in train])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.pretrain_lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.pretrain_steps)
    losses = []
    model.train()
    for step in range(cfg.pretrain_steps):
        idx = torch.randint(len(train), (cfg.pretrain_batch,), generator=gen)
        loss = -model.answer_logprobs(prompts[idx], answers[idx]).mean() / answers.shape[1]
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == cfg.pretrain_steps - 1:
            losses.append(float(loss.detach()))
            if log:
                log(f"pretrain step {step}: loss {losses[-1]:.3f}")
    model.eval()
    return losses


def rl_finetune(model: TinyGPT, train: Sequence[AddProblem], cfg: ModeBConfig, gen: torch.Generator,
                log: Callable[[str], None] | None = None) -> list[float]:
    """GRPO-style policy gradient with a 0/1 verifier reward; returns mean reward per step."""
    prompts = _tensor([p.prompt for p in train])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.rl_lr, weight_decay=0.0)
    steps_out = len(train[0].answer)
    rewards_log = []
    for step in range(cfg.rl_steps):
        idx = torch.randint(len(train), (cfg.rl_prompts,), generator=gen)
        batch = prompts[idx].repeat_interleave(cfg.rl_group, dim=0)
        model.eval()
        answers = model.sample(batch, steps_out, temperature=cfg.temperature, generator=gen)
        texts = [decode(row.tolist()) for row in answers]
        probs = [train[int(i)] for i in idx.repeat_interleave(cfg.rl_group)]
        reward = torch.tensor([float(p.check(t)) for p, t in zip(probs, texts)])
        grouped = reward.view(cfg.rl_prompts, cfg.rl_group)
        adv = (grouped - grouped.mean(dim=1, keepdim=True)).view(-1)
        rewards_log.append(float(reward.mean()))
        if adv.abs().sum() == 0:
            continue  # every group all right or all wrong: no signal this step
        model.train()
        logp = model.answer_logprobs(batch, answers)
        loss = -(adv * logp).sum() / (adv.ne(0).sum() * steps_out)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if log and (step % 25 == 0 or step == cfg.rl_steps - 1):
            log(f"rl step {step}: mean reward {float(reward.mean()):.3f}")
    model.eval()
    return rewards_log


@torch.no_grad()
def count_successes(model: TinyGPT, probs: Sequence[AddProblem], n_samples: int, temperature: float,
                    gen: torch.Generator, chunk: int = 2048) -> list[tuple[int, int]]:
    """(n, c) per problem: `n_samples` samples each, c of them exactly right."""
    prompts = _tensor([p.prompt for p in probs]).repeat_interleave(n_samples, dim=0)
    steps_out = len(probs[0].answer)
    texts: list[str] = []
    for start in range(0, len(prompts), chunk):
        out = model.sample(prompts[start:start + chunk], steps_out, temperature=temperature, generator=gen)
        texts.extend(decode(r.tolist()) for r in out)
    counts = []
    for i, p in enumerate(probs):
        c = sum(p.check(t) for t in texts[i * n_samples:(i + 1) * n_samples])
        counts.append((n_samples, c))
    return counts


def run_mode_b(cfg: ModeBConfig = ModeBConfig(), log: Callable[[str], None] | None = None) -> ModeBResult:
    """Train the base, evaluate it, RL-tune a copy, evaluate that; per-problem counts for both."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    train = problems(cfg.seed, cfg.n_train, cfg.digits, salt="train")
    held_out = problems(cfg.seed, cfg.n_eval, cfg.digits, salt="eval",
                        exclude=frozenset((p.a, p.b) for p in train))
    max_len = len(train[0].prompt) + len(train[0].answer)
    model = TinyGPT(len(VOCAB), max_len, cfg.d_model, cfg.n_layers, cfg.n_heads)
    seconds: dict[str, float] = {}

    def timed(label: str, fn, *args):
        t = time.perf_counter()
        out = fn(*args)
        seconds[label] = time.perf_counter() - t
        return out

    def evaluate() -> list[tuple[int, int]]:
        # The same evaluation generator before and after RL: both models see identical draws.
        eval_gen = torch.Generator().manual_seed(cfg.seed + 1)
        return count_successes(model, held_out, cfg.n_samples, cfg.temperature, eval_gen)

    losses = timed("pretrain", pretrain, model, train, cfg, gen, log)
    base_counts = timed("eval_base", evaluate)
    rewards = timed("rl", rl_finetune, model, train, cfg, gen, log)
    rl_counts = timed("eval_rl", evaluate)

    return ModeBResult(cfg, [p.prompt for p in held_out], base_counts, rl_counts, losses, rewards, seconds)
