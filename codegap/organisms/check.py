"""A live check whose subject is a model it trains itself: collect trains, samples are the organisms' outputs.

Why a base class: the experiment contract (`codegap.experiments.base`)
assumes a model behind an API. A check that trains tiny organisms from scratch
(RL sharpening, the SFT ceiling) calls no model, so:

- `models()` returns no roles and `subject()` names the organism recipe
  (e.g. `tinyrl/<digest of its parameters>`), never the `--model` string: the
  runner then prints "does not call <model>: it tests <subject>" and files the
  record under what was actually run;
- `collect()` trains one organism family per unit (a unit is one training
  seed, and the runner's batch is one seed) and stores one `SampleRow` per
  draw: the unit is the seed, the role is which trained model answered
  (base, rl, ...), the reply is the organism's decoded output, graded by the
  same `grade()` a re-score uses;
- `policy`, when set (tests only), replaces training by a synthetic policy
  with the signature of `codegap.experiments.synthetic.Policy`, so the three
  synthetic organisms (perfect, limited, random) run through the real runner,
  grading, samples file and record.

Subclasses implement `train_unit(unit, seed, instances, params, progress)`,
returning the replies of every (instance, arm) and per-arm facts (the
temperature actually used, ...), and `organism_name`.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence

from codegap.experiments.base import LiveCheck, Request
from codegap.samples import SampleRow, prompt_digest

Progress = Callable[[int, int], None]


@dataclass
class UnitOutput:
    """What training and sampling one unit (seed) produced.

    `replies[(instance id, arm)]` holds the arm's draws for that instance, in
    draw order; `arm_meta[arm]` small facts stored with each of the arm's rows
    (e.g. the temperature the draws used); `seconds[arm]` the time spent
    sampling that arm, spread over its rows.
    """

    replies: dict[tuple[str, str], list[str]]
    arm_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    environment: str = ""


def config_digest(params: dict[str, Any], keys: Sequence[str]) -> str:
    """12 hex digits naming an organism recipe: the parameters that shape it, nothing else."""
    blob = json.dumps({k: params.get(k) for k in sorted(keys)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class OrganismCheck(LiveCheck):
    """Base class of checks that train their own subject (see module doc)."""

    #: short name of the organism family in subjects, e.g. "tinyrl"
    organism_name: ClassVar[str] = "organism"
    #: the parameters that define the organism recipe (they make the subject's digest)
    recipe_keys: ClassVar[tuple[str, ...]] = ()
    #: tests only: a synthetic policy that replaces training (see module doc)
    policy: Callable[..., str] | None = None

    # --- which mode -------------------------------------------------------------------
    def trains(self, params: dict[str, Any]) -> bool:
        """True when this run trains organisms (False: a subclass's mode that asks real models)."""
        return True

    def models(self, model: str, params: dict[str, Any]) -> dict[str, str]:
        return {} if self.trains(params) else super().models(model, params)

    def subject(self, model: str, params: dict[str, Any]) -> str:
        if not self.trains(params):
            return super().subject(model, params)
        return f"{self.organism_name}/{config_digest(params, self.recipe_keys)}"

    # --- collecting ---------------------------------------------------------------------
    def train_unit(self, unit: int, seed: int, instances: Sequence[Any], params: dict[str, Any],
                   progress: Progress | None) -> UnitOutput:
        raise NotImplementedError

    def collect(self, instances: Sequence[Any], params: dict[str, Any], ctx: Any) -> list[SampleRow]:
        if not self.trains(params):
            return super().collect(instances, params, ctx)
        by_unit: dict[int, list[Any]] = {}
        for inst in instances:
            by_unit.setdefault(int(inst.unit), []).append(inst)
        rows: list[SampleRow] = []
        subject = self.subject(ctx.model, params)
        for unit, insts in by_unit.items():
            out = (self._policy_unit(unit, ctx.seed, insts, params) if self.policy is not None
                   else self.train_unit(unit, ctx.seed, insts, params, ctx.on_progress))
            rows.extend(self._rows(unit, insts, params, out, subject))
        return rows

    def _policy_unit(self, unit: int, seed: int, instances: Sequence[Any], params: dict[str, Any]) -> UnitOutput:
        """Replies of the synthetic policy, one per draw, each with its own seeded random stream."""
        assert self.policy is not None
        replies: dict[tuple[str, str], list[str]] = {}
        for inst in instances:
            for req in self.requests(inst, params):
                replies[(inst.id, req.arm)] = [
                    self.policy(inst, req, 0, req.messages(), random.Random(f"{seed}:{inst.id}:{req.arm}:{e}"))
                    for e in range(req.epochs)]
        return UnitOutput(replies, environment="synthetic policy (no training)")

    def _rows(self, unit: int, instances: Sequence[Any], params: dict[str, Any], out: UnitOutput,
              subject: str) -> list[SampleRow]:
        rows: list[SampleRow] = []
        per_arm = {arm: sum(len(v) for (_, a), v in out.replies.items() if a == arm)
                   for arm in {a for _, a in out.replies}}
        for inst in instances:
            meta = self.instance_meta(inst)
            for req in self.requests(inst, params):
                key = (inst.id, req.arm)
                if key not in out.replies:
                    raise RuntimeError(f"{self.claim_id}: unit {unit} produced no replies for {inst.id} / {req.arm}")
                draws = out.replies[key]
                if len(draws) != req.epochs:
                    raise RuntimeError(f"{self.claim_id}: {inst.id} / {req.arm}: {len(draws)} draws, "
                                       f"expected {req.epochs}")
                digest = prompt_digest(req.messages())
                secs = round(out.seconds.get(req.arm, 0.0) / max(per_arm.get(req.arm, 1), 1), 6)
                extra = {**out.arm_meta.get(req.arm, {}), "environment": out.environment}
                for epoch, reply in enumerate(draws):
                    g = self.grade(inst, req, reply, 0)
                    rows.append(SampleRow(
                        unit=unit, instance=inst.id, arm=req.arm, round=0, epoch=epoch, prompt_sha256=digest,
                        reply=reply, parsed=g.value, correct=bool(g.correct), unparseable=bool(g.unparseable),
                        truncated=False, tokens_in=0, tokens_out=len(reply), seconds=secs, cached=False,
                        role=req.role, model=subject, detail=g.detail, meta={**meta, **extra}))
        return rows


def timed(seconds: dict[str, float], key: str, fn: Callable[..., Any], /, *args: Any, **kw: Any) -> Any:
    """Call `fn` and add its wall time to `seconds[key]`."""
    t0 = time.perf_counter()
    try:
        return fn(*args, **kw)
    finally:
        seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - t0


def organism_request(arm: str, prompt: str, *, draws: int, temperature: float, role: str,
                     max_tokens: int) -> Request:
    """A Request for an organism arm (its prompt is the organism's own input text)."""
    return Request(arm=arm, prompt=prompt, max_tokens=max_tokens, temperature=temperature, epochs=draws, role=role)
