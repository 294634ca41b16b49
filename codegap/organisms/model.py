"""A tiny decoder-only transformer, small enough to train on one CPU thread in seconds.

Every sequence of a task has the same length (prompt and answer are
fixed-width), so there is no padding and no attention mask beyond the causal
one. Sampling draws from a `torch.Generator` passed in, never from global
state, so two arms sampled one after the other do not shift each other's draws.
"""

from __future__ import annotations

import torch
from torch import nn


class TinyGPT(nn.Module):
    """Token + position embeddings, a few pre-norm causal self-attention blocks, a linear head."""

    def __init__(self, vocab: int, max_len: int, d_model: int = 64, n_layers: int = 2, n_heads: int = 4):
        super().__init__()
        self.max_len = max_len
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=4 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)
        mask = torch.triu(torch.full((max_len, max_len), float("-inf")), diagonal=1)
        self.register_buffer("causal", mask, persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits for the next token at every position: (batch, time, vocab)."""
        t = ids.shape[1]
        if t > self.max_len:
            raise ValueError(f"TinyGPT: sequence of {t} tokens exceeds max_len={self.max_len}")
        x = self.tok(ids) + self.pos(torch.arange(t, device=ids.device))
        x = self.blocks(x, mask=self.causal[:t, :t], is_causal=True)
        return self.head(self.norm(x))

    @torch.no_grad()
    def sample(self, prompts: torch.Tensor, steps: int, *, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Append `steps` tokens to each prompt row (greedy when temperature <= 0); returns only the new tokens."""
        seq = prompts
        for _ in range(steps):
            logits = self(seq)[:, -1, :]
            if temperature <= 0:
                nxt = logits.argmax(-1, keepdim=True)
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator)
            seq = torch.cat([seq, nxt], dim=1)
        return seq[:, prompts.shape[1]:]

    def answer_logprobs(self, prompts: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
        """Sum over answer tokens of log p(token | prefix): (batch,)."""
        seq = torch.cat([prompts, answers], dim=1)
        logits = self(seq[:, :-1])[:, prompts.shape[1] - 1:, :]
        logp = torch.log_softmax(logits, dim=-1)
        return logp.gather(-1, answers.unsqueeze(-1)).squeeze(-1).sum(-1)

    @torch.no_grad()
    def answer_logits(self, prompts: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
        """Next-token logits at each answer position, given the answer so far: (batch, answer_len, vocab)."""
        seq = torch.cat([prompts, answers], dim=1)
        return self(seq[:, :-1])[:, prompts.shape[1] - 1:, :]


def mean_entropy(logits: torch.Tensor, temperature: float) -> float:
    """Mean next-token entropy (nats) of softmax(logits / temperature) over all positions given."""
    logp = torch.log_softmax(logits / temperature, dim=-1)
    return float(-(logp.exp() * logp).sum(-1).mean())
