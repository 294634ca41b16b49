"""The evaluation engine under every live check: one call, `run_eval`, over inspect_ai.

Why a wrapper at all: every live check must run the same way whatever the
model — model string validated up front, the embedded `local` provider
registered, inspect's response cache switched on (and keyed on the GGUF's
sha256 for local models, so swapping weights under the same name can never
serve stale answers), concurrency given explicitly (inspect's adaptive
concurrency ignores a provider's own preference), console output kept clean
(`display="log"`), and a failed evaluation turned into an exception instead of
a quietly empty log.

Why one event loop for the whole process (see NOTES.md, "Speed of API runs"):
`codegap run` calls `run_eval` once per batch of a sequential run, and
inspect's synchronous `eval()` starts a fresh event loop each time, so every
batch paid for a new HTTP connection pool (a new TLS context, ~20 ms of CPU,
and new TCP/TLS connections to the API) on top of inspect's own set-up. Here
every evaluation runs through inspect's `eval_async` on one long-lived loop in
a daemon thread; connections and the TLS context are reused from batch to
batch. If inspect's internals used for that move, `run_eval` falls back to
`inspect_ai.eval()` (same logs, slower start-up).

Counting model calls (what "a rerun makes zero model calls" is measured by):

- `log_call_stats(log)` counts from the inspect log itself: every ModelEvent
  with `cache == "read"` is a cache hit, every other ModelEvent is a real call
  to the provider. This is what provenance records, so it works from logs alone.
- `call_count()` / `cache_hit_count()` are in-process running totals over all
  `run_eval` calls since `reset_counts()`, summed from the same log counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Coroutine, Iterable

import inspect_ai
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.model import CachePolicy

from codegap.models.spec import ModelSpec, parse_model

logger = logging.getLogger(__name__)

#: `on_progress(done, total)`: samples (x epochs) finished so far, and in all.
Progress = Callable[[int, int], None]

#: Concurrency when the caller gives none. Local: the provider batches this many
#: requests into one llama.cpp decode; API: requests in flight.
DEFAULT_MAX_CONNECTIONS = {"local": 8, "api": 16}

#: Bumped when the cache key recipe changes, to invalidate old entries.
CACHE_SCHEME = "codegap-1"


class EvalFailed(RuntimeError):
    """inspect_ai finished with a status other than success; message says why."""


@dataclass
class CallStats:
    calls: int = 0
    cache_hits: int = 0

    def __add__(self, other: "CallStats") -> "CallStats":
        return CallStats(self.calls + other.calls, self.cache_hits + other.cache_hits)


_totals = CallStats()
_totals_lock = threading.Lock()


def call_count() -> int:
    """Real model calls made by `run_eval` in this process since `reset_counts()`."""
    return _totals.calls


def cache_hit_count() -> int:
    """Responses served from inspect's cache in this process since `reset_counts()`."""
    return _totals.cache_hits


def reset_counts() -> None:
    global _totals
    with _totals_lock:
        _totals = CallStats()


def log_call_stats(log: EvalLog) -> CallStats:
    """Real calls and cache hits recorded in one inspect log (see module doc)."""
    stats = CallStats()
    for sample in log.samples or []:
        for ev in sample.events:
            if getattr(ev, "event", None) != "model":
                continue
            if getattr(ev, "cache", None) == "read":
                stats.cache_hits += 1
            else:
                stats.calls += 1
    return stats


def logs_call_stats(paths: Iterable[str | Path]) -> CallStats:
    """Sum of `log_call_stats` over log files (as `codegap run` reads them)."""
    total = CallStats()
    for p in paths:
        total = total + log_call_stats(read_eval_log(str(p)))
    return total


def _register_local() -> None:
    # Import side effect: `@modelapi(name="local")` registers the provider.
    from codegap.models import local_provider  # noqa: F401


def local_weights(spec: ModelSpec) -> Path:
    """The verified GGUF file behind a `local/...` model string."""
    from codegap.models.weights import ensure_weights

    if spec.path is not None:
        return spec.path
    assert spec.alias is not None
    return ensure_weights(spec.alias)


def model_version(model: str, log: EvalLog | None = None) -> str:
    """What exactly answered: GGUF sha256 for local models, else the API's model id.

    For API models the id is the one the server reported in its responses
    (taken from `log`); without a log, the requested name is returned.
    """
    spec = parse_model(model)
    if spec.is_local:
        from codegap.models.weights import CATALOG, gguf_sha256

        if spec.alias is not None:
            local_weights(spec)  # verifies (once) that the file matches the catalog hash
            return "sha256:" + CATALOG[spec.alias].sha256
        return "sha256:" + gguf_sha256(local_weights(spec))
    if log is not None:
        for sample in log.samples or []:
            if sample.output and sample.output.model:
                return sample.output.model
    return spec.name


def _inspect_model_string(spec: ModelSpec) -> str:
    # A user path is made absolute so the log (and cache directory) name one file.
    return f"local/{spec.path}" if spec.is_local and spec.path is not None else spec.raw


def run_eval(
    task: inspect_ai.Task,
    model: str,
    *,
    seed: int,
    log_dir: str | Path,
    epochs: int | None = None,
    max_connections: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    cache: bool = True,
    on_progress: Progress | None = None,
    **generate: Any,
) -> EvalLog:
    """Run one inspect Task on one model, cached and reproducible; return its log.

    `epochs=None` keeps the task's own epochs (and reducer, e.g. pass_at_k).
    `on_progress(done, total)` is called with (0, total) before the first
    sample and after every finished sample (total = samples x epochs); it runs
    on the engine's event-loop thread, so it must be quick (e.g. advance a
    progress bar); an exception in it is logged and ignored.
    Extra keyword arguments are further GenerateConfig fields (top_p, stop_seqs,
    ...) or inspect eval options.
    Raises ModelStringError for a bad model string, WeightsError for missing or
    corrupt weights, EvalFailed when the evaluation did not succeed.
    Calls from several threads are run one after another (inspect runs one
    evaluation at a time per process).
    """
    global _totals
    spec = parse_model(model)
    _register_local()
    scopes = {"scheme": CACHE_SCHEME}
    if spec.is_local:
        scopes["model_version"] = model_version(model)
    if max_connections is None:
        max_connections = DEFAULT_MAX_CONNECTIONS["local" if spec.is_local else "api"]
    # inspect's default max_samples equals max_connections, so a connection sits
    # idle while its sample is set up, scored and logged; twice as many samples
    # in flight keep every connection (or local batch slot) busy.
    max_samples = generate.pop("max_samples", None) or 2 * max_connections
    config: dict[str, Any] = {k: v for k, v in generate.items() if v is not None}
    if temperature is not None:
        config["temperature"] = temperature
    if max_tokens is not None:
        config["max_tokens"] = max_tokens
    if cache:
        config["cache"] = CachePolicy(expiry=None, per_epoch=True, scopes=scopes)
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = dict(
        model=_inspect_model_string(spec),
        seed=seed,
        epochs=epochs,
        log_dir=str(log_dir),
        max_connections=max_connections,
        max_samples=max_samples,
        fail_on_error=True,
        # the realtime sample buffer (live `inspect view`) costs a SQLite write
        # per event; nobody watches a codegap run live, and the final log is unchanged
        log_realtime=False,
        # inspect's control channel (`inspect ctl`) starts an HTTP server per
        # evaluation; codegap never steers a running eval
        ctl_server=False,
        # running metrics are for inspect's own console display, which is off
        score_display=False,
    )
    base_url = _service_base_url(spec)
    if base_url:
        options["model_base_url"] = base_url
    options.update(config)
    with _run_lock, _fewer_collections():
        _progress.start(on_progress, _sample_total(task, epochs, options))
        try:
            log = _evaluate(task, options)
        finally:
            _progress.stop()
    if log.status != "success":
        detail = log.error.message if log.error else f"status {log.status!r}"
        raise EvalFailed(
            f"evaluation of task {log.eval.task!r} on model {model} failed: {detail}"
            + (f" (log: {log.location})" if log.location else "")
        )
    stats = log_call_stats(log)
    with _totals_lock:
        _totals = _totals + stats
    return log


def _service_base_url(spec: ModelSpec) -> str | None:
    """`<SERVICE>_BASE_URL` of an `openai-api/<service>/<model>` string, as its provider reads it.

    Passed to inspect explicitly because inspect memoizes models on the model
    string and config, not on the environment: without it a later run whose
    `<SERVICE>_BASE_URL` points elsewhere (another local server, a test's new
    stub) would reuse the earlier model, its URL and, on the shared loop, its
    open connections. Same URL either way, so the response cache is unaffected.
    """
    parts = spec.raw.split("/")
    if spec.is_local or len(parts) < 3 or parts[0] != "openai-api":
        return None
    return os.environ.get(parts[1].upper().replace("-", "_") + "_BASE_URL") or None


#: Serialises run_eval calls: inspect runs one evaluation at a time per process,
#: and the progress slot below belongs to the running one.
_run_lock = threading.RLock()


#: Young-generation threshold of the garbage collector while an evaluation runs.
GC_GEN0_THRESHOLD = 20_000
_gc_frozen = False


@contextlib.contextmanager
def _fewer_collections() -> Any:
    """Cheaper garbage collection while an evaluation runs (measured in NOTES.md).

    inspect allocates many short-lived pydantic objects per sample, and with
    Python's defaults the collector took 10-20% of an API run's CPU: about 240
    young collections per 200 samples, and full collections that walk every
    object the imports created. The first run freezes what is alive by then
    (modules, claims: objects that live as long as the process) out of future
    collections, and each run raises the young threshold, restoring it after.
    Nothing is kept alive that would otherwise be freed, except cyclic garbage
    among the objects frozen at the first run.
    """
    global _gc_frozen
    if not _gc_frozen:
        gc.collect()
        gc.freeze()
        _gc_frozen = True
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], GC_GEN0_THRESHOLD), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _sample_total(task: inspect_ai.Task, epochs: Any, options: dict[str, Any]) -> int:
    """Samples x epochs the evaluation will run (what `on_progress` counts up to)."""
    n = len(task.dataset)
    limit, ids = options.get("limit"), options.get("sample_id")
    if isinstance(limit, int):
        n = min(n, limit)
    elif isinstance(limit, tuple):
        n = max(0, min(n, limit[1]) - limit[0])
    if ids is not None:
        n = min(n, len(ids) if isinstance(ids, list) else 1)
    epochs = getattr(epochs, "epochs", epochs)  # an inspect Epochs(n, reducer)
    return n * (epochs if epochs is not None else (task.epochs or 1))


def _evaluate(task: inspect_ai.Task, options: dict[str, Any]) -> EvalLog:
    """One inspect evaluation: on the shared engine loop, else through `inspect_ai.eval`."""
    logs: list[EvalLog] | None = None
    display = options.get("display", "log")
    if USE_ENGINE_LOOP:
        try:
            from inspect_ai._eval.eval import init_eval_display
            from inspect_ai._util.asyncfiles import AsyncFilesystem
        except ImportError:  # inspect moved them: same evaluation, slower start-up
            logger.debug("inspect internals moved; run_eval uses inspect_ai.eval()")
        else:
            # what inspect_ai.eval() sets up before its own loop: the display
            # ("log", not "none": in a Jupyter kernel "none" still opens a rich
            # Live view, an empty widget in the executed notebook) and a shared
            # async filesystem for log writes
            init_eval_display(display, None, None, options["max_samples"], options["model"])
            eval_options = {k: v for k, v in options.items() if k != "display"}

            async def main() -> list[EvalLog]:
                async with AsyncFilesystem():
                    return await inspect_ai.eval_async(task, **eval_options)

            logs = _engine_loop().run(main())
    if logs is None:
        logs = inspect_ai.eval(task, **{**options, "display": display})
    if len(logs) != 1:
        raise EvalFailed(f"model {options['model']}: expected one evaluation log, got {len(logs)}")
    return logs[0]


#: False: every evaluation through `inspect_ai.eval()` (a fresh loop each time).
USE_ENGINE_LOOP = True


class _EngineLoop:
    """One asyncio event loop on a daemon thread, shared by every evaluation in the process.

    The loop's main task lives as long as the process, so anyio treats it as
    the root task and its worker threads (log writes, graders) are reused.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._main, args=(ready,),
                                       name="codegap-engine-loop", daemon=True)
        self.thread.start()
        ready.wait()

    def _main(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def forever() -> None:
            ready.set()
            await asyncio.Event().wait()

        self.loop.run_until_complete(forever())

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run `coro` on the loop and wait for it.

        Ctrl-C (or any exception) in the waiting caller cancels it and waits, up
        to a minute, until it has wound down: inspect writes its cancelled log,
        and the next evaluation must not start while this one still runs.
        """
        finished = threading.Event()

        async def tracked() -> Any:
            try:
                return await coro
            finally:
                finished.set()

        future = asyncio.run_coroutine_threadsafe(tracked(), self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # marks the future at once; the task itself ends later
            finished.wait(timeout=60)
            raise


_engine: _EngineLoop | None = None


def _engine_loop() -> _EngineLoop:
    global _engine
    if _engine is None or _engine.pid != os.getpid() or not _engine.thread.is_alive():
        _engine = _EngineLoop()  # first use, or a forked child (threads do not survive fork)
    return _engine


class _ProgressSlot:
    """The running evaluation's progress callback, fed by an inspect sample-end hook.

    Hooks are process-wide in inspect; run_eval runs one evaluation at a time,
    so one slot is enough. The hook is registered on first use, quietly (inspect
    prints a "hooks enabled" banner when it first loads hooks, which would land
    in every executed notebook).
    """

    def __init__(self) -> None:
        self.callback: Progress | None = None
        self.done = 0
        self.total = 0
        self._hook_registered = False

    def start(self, callback: Progress | None, total: int) -> None:
        self.callback, self.done, self.total = callback, 0, total
        if callback is not None:
            self._register_hook()
            self.report()

    def stop(self) -> None:
        self.callback = None

    def sample_done(self) -> None:
        if self.callback is not None:
            self.done += 1
            self.report()

    def report(self) -> None:
        callback = self.callback
        if callback is None:
            return
        try:
            callback(self.done, self.total)
        except Exception:  # a progress display must never fail an evaluation
            logger.warning("on_progress callback failed", exc_info=True)

    def _register_hook(self) -> None:
        if self._hook_registered:
            return
        from inspect_ai.hooks import Hooks, SampleEnd, hooks

        slot = self

        @hooks(name="codegap_progress", description="per-sample progress for codegap run_eval")
        class ProgressHook(Hooks):
            def enabled(self) -> bool:
                return slot.callback is not None

            async def on_sample_end(self, data: SampleEnd) -> None:
                slot.sample_done()

        self._hook_registered = True
        try:
            import inspect_ai.hooks._startup as startup

            banner = startup.print
            startup.print = lambda *a, **k: None  # type: ignore[assignment]
            try:
                startup.init_hooks()
            finally:
                startup.print = banner  # type: ignore[assignment]
        except (ImportError, AttributeError):
            pass  # inspect moved its startup code: the banner may show, nothing breaks


_progress = _ProgressSlot()
