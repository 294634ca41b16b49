"""The three ways one task is asked (Laban et al. 2025's FULL, CONCAT and SHARDED settings).

- `full`: the original statement, one fluent sentence, in one turn;
- `concat`: the same shards SHARDED reveals, all at once as a bulleted list in
  one turn (the paper's control for the rewording: CONCAT differs from
  SHARDED only in *when* the requirements arrive);
- `sharded`: a scripted user reveals one shard per turn, the intent first;
  after every turn the model replies with its current complete function
  (`follow_up` sends the next shard). Every turn's function is graded; the
  last one is the answer that is scored.

The paper lets models decide when to attempt an answer; here every turn asks
for the function, which is how a user who reads each draft works, and which
makes the first turn's assumption visible (the intent says "sorted" without a
direction). The first message does not announce further requirements, as in
the paper: the user adds them as they come to mind.
"""

from __future__ import annotations

from codegap.experiments.base import Request
from codegap.experiments.multi_turn_lock_in.generator import Instance

ARMS = ("full", "concat", "sharded")

#: Output tokens per reply. The function is 4-8 lines (about 40-90 tokens); the budget leaves room for a
#: sentence around it and for a model that restates earlier requirements in comments. Truncation is a premise.
MAX_TOKENS = 320

FORMAT = "Reply with only one Python code block that defines the function: no explanation, no tests, no prints."
UPDATE = "Reply with the complete updated function in one Python code block."


def full_prompt(inst: Instance) -> str:
    return f"{inst.spec.full_text()}\n\n{FORMAT}"


def concat_prompt(inst: Instance) -> str:
    bullets = "\n".join(f"- {inst.spec.shard(k)}" for k in inst.shards)
    return f"Meet all of these requirements:\n{bullets}\n\n{FORMAT}"


def sharded_first(inst: Instance) -> str:
    return f"{inst.spec.shard(inst.shards[0])}\n\n{FORMAT}"


def sharded_turn(inst: Instance, turn: int) -> str:
    """The user's message at `turn` >= 1: the next shard, and the request for the updated function."""
    return f"{inst.spec.shard(inst.shards[turn])} {UPDATE}"


def requests(inst: Instance) -> list[Request]:
    """One greedy request per arm; SHARDED takes one turn per shard."""
    return [
        Request(arm="full", prompt=full_prompt(inst), max_tokens=MAX_TOKENS),
        Request(arm="concat", prompt=concat_prompt(inst), max_tokens=MAX_TOKENS),
        Request(arm="sharded", prompt=sharded_first(inst), max_tokens=MAX_TOKENS, rounds=len(inst.shards)),
    ]
