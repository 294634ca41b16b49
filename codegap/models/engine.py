"""The evaluation engine under every notebook: one call, `run_eval`, over inspect_ai.

Why a wrapper at all: every live check must run the same way whatever the
model — model string validated up front, the embedded `local` provider
registered, inspect's response cache switched on (and keyed on the GGUF's
sha256 for local models, so swapping weights under the same name can never
serve stale answers), concurrency given explicitly (inspect's adaptive
concurrency ignores a provider's own preference), notebook output kept clean
(`display="none"`), and a failed evaluation turned into an exception instead of
a quietly empty log.

Counting model calls (what "a rerun makes zero model calls" is measured by):

- `log_call_stats(log)` counts from the inspect log itself: every ModelEvent
  with `cache == "read"` is a cache hit, every other ModelEvent is a real call
  to the provider. This is what `codegap run` records in provenance (it reads
  the logs the notebook wrote), so it works across the notebook kernel boundary.
- `call_count()` / `cache_hit_count()` are in-process running totals over all
  `run_eval` calls since `reset_counts()`, summed from the same log counts.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import inspect_ai
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.model import CachePolicy

from codegap.models.spec import ModelSpec, parse_model

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
    **generate: Any,
) -> EvalLog:
    """Run one inspect Task on one model, cached and reproducible; return its log.

    `epochs=None` keeps the task's own epochs (and reducer, e.g. pass_at_k).
    Extra keyword arguments are further GenerateConfig fields (top_p, stop_seqs, ...).
    Raises ModelStringError for a bad model string, WeightsError for missing or
    corrupt weights, EvalFailed when the evaluation did not succeed.
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
    _install_progress_hook()
    logs = inspect_ai.eval(
        task,
        model=_inspect_model_string(spec),
        seed=seed,
        epochs=epochs,
        log_dir=str(log_dir),
        # "log" rather than "none": in a Jupyter kernel "none" still opens a rich
        # Live view, which leaves an empty widget in the executed notebook; "log"
        # only writes INFO records, which an unconfigured kernel does not show.
        display="log",
        max_connections=max_connections,
        max_samples=max_samples,
        fail_on_error=True,
        # the realtime sample buffer (live `inspect view`) costs a SQLite write
        # per event; notebooks do not watch live, and the final log is unchanged
        log_realtime=False,
        **config,
    )
    if len(logs) != 1:
        raise EvalFailed(f"model {model}: expected one evaluation log, got {len(logs)}")
    log = logs[0]
    if log.status != "success":
        detail = log.error.message if log.error else f"status {log.status!r}"
        raise EvalFailed(
            f"evaluation of task {log.eval.task!r} on model {model} failed: {detail}"
            + (f" (log: {log.location})" if log.location else "")
        )
    stats = log_call_stats(log)
    with _totals_lock:
        _totals = _totals + stats
    _report_progress(log, stats)
    return log


def _progress_event(**event: Any) -> None:
    """Append one event to $CODEGAP_PROGRESS_FILE: how `codegap run`, in another
    process, shows per-sample progress while the notebook's own output stays clean."""
    path = os.environ.get("CODEGAP_PROGRESS_FILE")
    if not path:
        return
    with _totals_lock, open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event, default=str) + "\n")


def _report_progress(log: EvalLog, stats: CallStats) -> None:
    _progress_event(event="task_end", task=log.eval.task, samples=len(log.samples or []),
                    calls=stats.calls, cache_hits=stats.cache_hits)


_progress_hook_installed = False


def _install_progress_hook() -> None:
    """Register the per-sample progress hook, only under `codegap run`.

    Registered lazily (not at import) and announced quietly: inspect prints a
    "hooks enabled" banner the first time it loads hooks, which would land in
    every executed notebook.
    """
    global _progress_hook_installed
    if _progress_hook_installed or not os.environ.get("CODEGAP_PROGRESS_FILE"):
        return
    from inspect_ai.hooks import Hooks, SampleEnd, TaskStart, hooks

    @hooks(name="codegap_progress", description="per-sample progress for codegap run")
    class ProgressHooks(Hooks):
        """Reports task starts (with sample x epoch counts) and sample ends."""

        def enabled(self) -> bool:
            return bool(os.environ.get("CODEGAP_PROGRESS_FILE"))

        async def on_task_start(self, data: TaskStart) -> None:
            ds = data.spec.dataset
            n = len(ds.sample_ids) if ds.sample_ids is not None else (ds.samples or 0)
            _progress_event(event="task_start", task=data.spec.task,
                            samples=n * (data.spec.config.epochs or 1))

        async def on_sample_end(self, data: SampleEnd) -> None:
            _progress_event(event="sample_end", sample=data.sample.id, epoch=data.sample.epoch)

    _progress_hook_installed = True
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
