"""Asking a model through inspect_ai, one evaluation per batch, and turning the log into samples.

API models (`openai-api/...`, chat-completions `openai/...`) take the direct
path instead (`collect_direct.py` over `codegap.models.direct`: the openai
client without inspect's per-sample overhead), unless `CODEGAP_ENGINE=inspect`;
both give the same rows, and each batch's `ctx.evals` entry says which ran.

Why grading happens here and not in an inspect scorer: the run and a re-score
of stored samples must grade replies with the same code path
(`LiveCheck.grade`), so inspect only generates; grading runs afterwards over
the replies, in a thread pool (code replies run in the sandbox, one process
each). Multi-round arms grade inside the solver as well, to write feedback;
those grades are memoised so no program runs twice.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from codegap.experiments.base import Graded, Request
from codegap.samples import SampleRow, prompt_digest

if TYPE_CHECKING:
    from codegap.experiments.base import LiveCheck

#: Threads grading replies after a batch (the sandbox is a subprocess: 2 keep both cores busy).
GRADE_WORKERS = 2


@dataclass
class RunContext:
    """What a batch needs to know about the run it belongs to."""

    model: str
    seed: int
    log_dir: Path
    max_connections: int | None = None
    on_progress: Callable[[int, int], None] | None = None
    #: filled by collect: one entry per inspect evaluation (role, log location, served model id, configs)
    evals: list[dict[str, Any]] = field(default_factory=list)
    _grades: dict[tuple[str, str, int, int, str], Graded] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def graded(self, check: "LiveCheck", instance: Any, request: Request, reply: str, round: int,
               epoch: int, history: Sequence[str]) -> Graded:
        """`check.grade`, memoised per (instance, arm, epoch, round, reply)."""
        key = (instance.id, request.arm, epoch, round, hashlib.sha256(reply.encode()).hexdigest())
        with self._lock:
            hit = self._grades.get(key)
        if hit is not None:
            return hit
        g = check.grade(instance, request, reply, round, history)
        with self._lock:
            self._grades[key] = g
        return g


def draw_seed(run_seed: int, sample_id: str, epoch: int) -> int:
    """The sampling seed of one draw: differs between draws, same on every rerun."""
    digest = hashlib.sha256(f"codegap-draw:{run_seed}:{sample_id}:{epoch}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def sample_id(instance_id: str, arm: str, epoch: int) -> str:
    return f"{instance_id}|{arm}|{epoch}"


def _solver(check: "LiveCheck", lookup: dict[str, tuple[Any, Request, int]], ctx: RunContext) -> Any:
    """Generates each sample's rounds with its request's budget; asks `follow_up` between rounds."""
    import anyio
    from inspect_ai.model import ChatMessageUser, ResponseSchema
    from inspect_ai.solver import Generate, TaskState, solver
    from inspect_ai.util import JSONSchema

    @solver(name="codegap_rounds")
    def make() -> Any:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            inst, req, epoch = lookup[str(state.sample_id)]
            config: dict[str, Any] = {"max_tokens": req.max_tokens, "temperature": req.temperature}
            if req.epochs > 1 or req.temperature > 0:
                config["seed"] = draw_seed(ctx.seed, str(state.sample_id), epoch)
            if req.response_schema is not None:
                config["response_schema"] = ResponseSchema(
                    name="answer", json_schema=JSONSchema.model_validate(req.response_schema), strict=True)
            history: list[str] = []
            for rnd in range(req.rounds):
                state = await generate(state, tool_calls="none", **config)
                reply = state.output.completion
                if rnd + 1 >= req.rounds:
                    break
                graded = await anyio.to_thread.run_sync(
                    ctx.graded, check, inst, req, reply, rnd, epoch, tuple(history))
                history.append(reply)
                nxt = check.follow_up(inst, req, reply, graded, rnd)
                if nxt is None:
                    break
                state.messages.append(ChatMessageUser(content=nxt))
            return state

        return solve

    return make()


def _input_messages(req: Request) -> list[Any]:
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    return [kinds[role](content=text) for role, text in req.messages()]


def collect_inspect(check: "LiveCheck", instances: Sequence[Any], params: dict[str, Any],
                    ctx: RunContext) -> list[SampleRow]:
    """Run every request of `instances` through inspect (one evaluation per model role)."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample

    from codegap.models.direct import engine_for
    from codegap.models.engine import run_eval

    models = check.models(ctx.model, params)
    by_role: dict[str, list[tuple[Any, Request, int]]] = {}
    for inst in instances:
        for req in check.requests(inst, params):
            if req.role not in models:
                raise ValueError(f"{check.claim_id}: request role {req.role!r} has no model "
                                 f"(roles: {', '.join(models)})")
            for e in range(req.epochs):
                by_role.setdefault(req.role, []).append((inst, req, e))
    rows: list[SampleRow] = []
    for role, items in by_role.items():
        if engine_for(models[role]) == "direct":
            from codegap.experiments.collect_direct import collect_direct

            rows.extend(collect_direct(check, items, role, models[role], ctx))
            continue
        lookup = {sample_id(inst.id, req.arm, e): (inst, req, e) for inst, req, e in items}
        dataset = MemoryDataset([
            Sample(id=sid, input=_input_messages(req), metadata={"arm": req.arm, "instance": inst.id})
            for sid, (inst, req, _) in lookup.items()
        ], name=check.claim_id)
        task = Task(dataset=dataset, solver=_solver(check, lookup, ctx), name=check.claim_id.replace("-", "_"))
        log = run_eval(task, models[role], seed=ctx.seed, log_dir=ctx.log_dir,
                       max_connections=ctx.max_connections, **_progress_kw(ctx))
        rows.extend(_rows_from_log(check, log, lookup, role, ctx))
        ctx.evals.append({"role": role, "model": models[role], "log": str(log.location or ""),
                          "served": _served_model(log), "samples": len(log.samples or []), "engine": "inspect"})
    return rows


def _progress_kw(ctx: RunContext) -> dict[str, Any]:
    """Pass the progress callback when the engine accepts one (added with issue 14's engine work)."""
    import inspect as pyinspect

    from codegap.models.engine import run_eval

    if ctx.on_progress is not None and "on_progress" in pyinspect.signature(run_eval).parameters:
        return {"on_progress": ctx.on_progress}
    return {}


def _served_model(log: Any) -> str:
    for s in log.samples or []:
        if s.output and s.output.model:
            return s.output.model
    return log.eval.model


def _rows_from_log(check: "LiveCheck", log: Any, lookup: dict[str, tuple[Any, Request, int]], role: str,
                   ctx: RunContext) -> list[SampleRow]:
    """One SampleRow per model call: its reply, usage, timing, and the grade of that reply."""
    pending: list[tuple[SampleRow, Any, Request, int, tuple[str, ...]]] = []
    for s in log.samples or []:
        inst, req, epoch = lookup[str(s.id)]
        events = [ev for ev in s.events if getattr(ev, "event", None) == "model"]
        convo: list[tuple[str, str]] = []
        assistant_seen = 0
        history: list[str] = []
        for msg in s.messages:
            if msg.role == "assistant":
                if assistant_seen >= len(events):
                    break
                ev = events[assistant_seen]
                out = ev.output
                usage = out.usage
                reply = out.completion
                row = SampleRow(
                    unit=int(inst.unit) if hasattr(inst, "unit") else -1,
                    instance=inst.id, arm=req.arm, round=assistant_seen, epoch=epoch,
                    prompt_sha256=prompt_digest(convo),
                    reply=reply,
                    truncated=out.stop_reason == "max_tokens",
                    tokens_in=int(usage.input_tokens) if usage else 0,
                    tokens_out=int(usage.output_tokens) if usage else 0,
                    seconds=round(float(ev.working_time or 0.0), 4),
                    cached=ev.cache == "read",
                    role=role, model=out.model or log.eval.model,
                    meta=check.instance_meta(inst),
                )
                pending.append((row, inst, req, epoch, tuple(history)))
                history.append(reply)
                assistant_seen += 1
            convo.append((msg.role, msg.text))
    return _grade_rows(check, pending, ctx)


def _grade_rows(check: "LiveCheck", pending: list[tuple[SampleRow, Any, Request, int, tuple[str, ...]]],
                ctx: RunContext) -> list[SampleRow]:
    """Grade every (row, instance, request, epoch, history) in a thread pool; the rows with their grades."""
    with ThreadPoolExecutor(max_workers=GRADE_WORKERS) as pool:
        grades = list(pool.map(lambda p: ctx.graded(check, p[1], p[2], p[0].reply, p[0].round, p[3], p[4]),
                               pending))
    rows = []
    for (row, *_), g in zip(pending, grades):
        row.correct, row.unparseable, row.parsed, row.detail = bool(g.correct), bool(g.unparseable), g.value, g.detail
        rows.append(row)
    return rows
