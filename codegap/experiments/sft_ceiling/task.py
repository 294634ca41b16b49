"""Arms: one student per (teacher, data size), the clean control, and the verifier-reward contrast.

Every arm is a model trained in this run, asked for its greedy answer to
every held-out problem (one draw, temperature 0):

- `systematic@<n>` / `noisy@<n>`: a student fine-tuned on n demonstrations of
  that teacher, for each n in `sizes`;
- `clean@<largest n>`: a student fine-tuned on correct demonstrations (can
  the organism learn the task from this much data at all?);
- `rl`: the `systematic@<largest n>` student, then tuned with a verifier
  reward on the same problems (does a signal other than the demonstrations
  take it past its teacher?).
"""

from __future__ import annotations

from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.sft_ceiling.generator import Problem
from codegap.organisms.check import organism_request

WRONG_TEACHERS = ("systematic", "noisy")


def sizes(params: dict[str, Any]) -> list[int]:
    out = sorted(int(n) for n in params["sizes"])
    if len(out) < 2 or out[0] < 1 or len(set(out)) != len(out):
        raise ValueError(f"sft-ceiling: parameter sizes must hold at least two distinct positive sizes, got {out}")
    return out


def arm_names(params: dict[str, Any]) -> list[str]:
    ns = sizes(params)
    return [f"{t}@{n}" for t in WRONG_TEACHERS for n in ns] + [f"clean@{ns[-1]}", "rl"]


def teacher_of(arm: str) -> str:
    """The teacher whose demonstrations an arm learned from (the RL contrast starts from the systematic one)."""
    return "systematic" if arm == "rl" else arm.split("@", 1)[0]


def requests(p: Problem, params: dict[str, Any]) -> list[Request]:
    return [organism_request(arm, p.text, draws=1, temperature=0.0, role=arm, max_tokens=p.digits + 1)
            for arm in arm_names(params)]
