"""Asking an API model on the direct path (`codegap.models.direct`), with the same rows as the inspect path.

Why a second path: for API models inspect's per-sample machinery, not the
server, set the pace of a run (NOTES.md in codegap/models). This module is
`collect.py`'s solver loop and row building, written against the direct
session instead of inspect's TaskState and log, and nothing else: the same
sample ids, sampling seeds (the run seed, or a per-draw seed for draws and
sampled arms), rounds and `follow_up`, memoised grades (`RunContext.graded`),
row fields and row order (sample id, then round), so a check cannot tell
which path asked its model. `collect.py` chooses the path per model
(`codegap.models.direct.engine_for`); tests run one check through both.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Sequence

from codegap.experiments.base import Request
from codegap.samples import SampleRow, prompt_digest

if TYPE_CHECKING:
    from codegap.experiments.base import LiveCheck
    from codegap.experiments.collect import RunContext
    from codegap.models.direct import Reply, Session

#: One model call of a sample: the conversation before it as (role, text), and the reply.
Call = tuple[list[tuple[str, str]], "Reply"]


def collect_direct(check: "LiveCheck", items: Sequence[tuple[Any, Request, int]], role: str, model: str,
                   ctx: "RunContext") -> list[SampleRow]:
    """Every (instance, request, draw) of one model role, as one direct-path batch; appends to `ctx.evals`."""
    from codegap.experiments.collect import _grade_rows, draw_seed, sample_id
    from codegap.models import direct

    lookup = {sample_id(inst.id, req.arm, e): (inst, req, e) for inst, req, e in items}

    async def one(session: "Session", sid: str, inst: Any, req: Request, epoch: int) -> list[Call]:
        seed = draw_seed(ctx.seed, sid, epoch) if req.epochs > 1 or req.temperature > 0 else ctx.seed
        settings = direct.Settings(max_tokens=req.max_tokens, temperature=req.temperature, seed=seed,
                                   response_schema=req.response_schema)
        convo = req.messages()
        messages = [{"role": r, "content": t} for r, t in convo]
        calls: list[Call] = []
        history: list[str] = []
        for rnd in range(req.rounds):
            reply = await session.complete(list(messages), settings, sample=sid, round=rnd)
            calls.append((list(convo), reply))
            if rnd + 1 >= req.rounds:
                break
            graded = await asyncio.to_thread(ctx.graded, check, inst, req, reply.text, rnd, epoch, tuple(history))
            history.append(reply.text)
            nxt = check.follow_up(inst, req, reply.text, graded, rnd)
            if nxt is None:
                break
            # the conversation as graded (reply text) and as sent (the server's own message)
            convo += [("assistant", reply.text), ("user", nxt)]
            messages += [{"role": "assistant", "content": reply.content}, {"role": "user", "content": nxt}]
        session.sample_done()
        return calls

    async def work(session: "Session") -> dict[str, list[Call]]:
        async with asyncio.TaskGroup() as tg:  # the first failure cancels the rest
            tasks = {sid: tg.create_task(one(session, sid, *lookup[sid])) for sid in lookup}
        return {sid: task.result() for sid, task in tasks.items()}

    done, summary = direct.run(model, work, log_dir=ctx.log_dir, name=f"{check.claim_id}_{role}",
                               total=len(lookup), max_connections=ctx.max_connections,
                               on_progress=ctx.on_progress, header={"claim": check.claim_id, "role": role})
    pending = []
    served = ""
    for sid in sorted(done):  # inspect's log order: by sample id (every sample is its own epoch 1)
        inst, req, epoch = lookup[sid]
        history: list[str] = []
        for rnd, (convo, reply) in enumerate(done[sid]):
            row = SampleRow(
                unit=int(inst.unit) if hasattr(inst, "unit") else -1,
                instance=inst.id, arm=req.arm, round=rnd, epoch=epoch,
                prompt_sha256=prompt_digest(convo),
                reply=reply.text,
                truncated=reply.truncated,
                tokens_in=reply.tokens_in, tokens_out=reply.tokens_out,
                seconds=round(float(reply.seconds), 4),
                cached=reply.cached,
                role=role, model=reply.model or model,
                meta=check.instance_meta(inst),
            )
            pending.append((row, inst, req, epoch, tuple(history)))
            history.append(reply.text)
        if not served and done[sid] and done[sid][-1][1].model:
            served = done[sid][-1][1].model
    ctx.evals.append({"role": role, "model": model, "log": str(summary.log), "served": served or model,
                      "samples": len(done), "engine": "direct", "calls": summary.calls,
                      "cache_hits": summary.cache_hits})
    return _grade_rows(check, pending, ctx)
