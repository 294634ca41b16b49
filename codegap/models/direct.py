"""The direct path for API models: the `openai` client on one event loop, without inspect's sample runner.

Why (measured in NOTES.md, "The direct path"): for API models inspect's own
machinery cost ~11 ms of CPU per sample (sample set-up, transcript events,
the .eval log, model events) against ~2.3 ms for the bare `openai` client; on
a shared 2-core machine that CPU becomes wall time, and at concurrency 32 a run
took 2.5x as long as the bare client. Here each request is one
`chat.completions.create` call, with only what a codegap run needs around it:

- a semaphore: the requested concurrency is the concurrency the server sees;
- retries with backoff (tenacity) for transient errors only (connection
  errors, timeouts, 408, 429, 5xx; a `Retry-After` header is honoured), within
  a bounded total (`CODEGAP_API_RETRY_SECONDS`, default 60 s), after which the
  run fails with one line naming the server's URL; any other error fails at once;
- a response cache on disk (diskcache, SQLite), keyed on the exact request body
  (model, messages, max_tokens, temperature, seed, response_format) and the
  server's URL, so a rerun makes zero calls and gets the same replies; identical
  requests in flight at the same time are sent once;
- one compact JSON-lines log per batch (request digest, reply, usage, seconds,
  served model id, cache hit) in the run's log folder.

Requests are the ones inspect's providers send for the same prompt and
settings (same body: tests compare them), and replies are read the way inspect
reads them, so both paths give the same rows; both live in `chat_wire.py`
(reasoning in its own field or a leading `<think>` block is not part of the
graded reply; `finish_reason` "length" is truncation; input tokens exclude
cached prompt tokens).
One deliberate difference: in a multi-round arm the assistant turn is replayed
as the server sent it, where inspect re-serialises reasoning into its own tags.

Which models: `openai-api/<service>/<model>` (any OpenAI-compatible server:
vLLM, llama.cpp, Ollama; `<SERVICE>_BASE_URL`, `<SERVICE>_API_KEY`) and
`openai/<model>` for chat-completions models (gpt-4*, gpt-3.5*; `OPENAI_API_KEY`,
`OPENAI_BASE_URL`). Models inspect sends to OpenAI's Responses API (o-series,
gpt-5 and later, codex) and Azure/Bedrock deployments stay on inspect, as do
local and all other providers. `CODEGAP_ENGINE=inspect` sends everything
through inspect; `CODEGAP_ENGINE=direct` refuses models the direct path cannot take.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar
from urllib.parse import urlsplit, urlunsplit

from codegap.models.chat_wire import (Reply, Settings, cache_key, output_from_error, record_from_completion,
                                      reply_from_record, reply_text, request_body)
from codegap.models.engine import EvalFailed
from codegap.models.spec import parse_model

__all__ = ["DirectError", "Endpoint", "Reply", "Session", "Settings", "Summary", "endpoint", "engine_for",
           "handles", "reply_text", "run"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Environment variable choosing the engine: "auto" (default), "inspect" or "direct".
ENGINE_ENV = "CODEGAP_ENGINE"
ENGINES = ("auto", "inspect", "direct")
#: Environment variables: retry budget and per-request timeout, in seconds.
ENV_RETRY = "CODEGAP_API_RETRY_SECONDS"
ENV_TIMEOUT = "CODEGAP_API_TIMEOUT"
#: Seconds a single request may take (a local server queueing long generations
#: needs minutes; inspect's own default is the same 600 s).
DEFAULT_TIMEOUT = 600.0
#: Seconds to open a connection: a server that is not there fails fast.
CONNECT_TIMEOUT = 10.0
#: Total seconds one request may spend retrying transient errors before the run fails.
DEFAULT_RETRY_SECONDS = 60.0
#: Requests in flight when the caller gives none (same as run_eval's API default).
DEFAULT_MAX_CONNECTIONS = 16

#: openai/ models that use chat completions in inspect (everything else stays on inspect).
_CHAT_COMPLETIONS_FAMILY = re.compile(r"^(gpt-4|gpt-3\.5|chatgpt-4o)", re.I)
_AZURE_BEDROCK_VARS = ("AZUREAI_OPENAI_BASE_URL", "AZURE_OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT",
                       "BEDROCK_OPENAI_BASE_URL", "AWS_BEDROCK_BASE_URL")


class DirectError(EvalFailed):
    """A request on the direct path failed for good; the one-line message names the server's URL."""


# --------------------------------------------------------------------------- which engine


def handles(model: str) -> bool:
    """Whether the direct path can ask `model` exactly as inspect would (see module doc)."""
    spec = parse_model(model)
    if spec.provider == "openai-api":
        return True
    if spec.provider == "openai":
        return ("/" not in spec.name and bool(_CHAT_COMPLETIONS_FAMILY.match(spec.name))
                and "vision" not in spec.name and not any(os.environ.get(v) for v in _AZURE_BEDROCK_VARS))
    return False


def engine_for(model: str) -> str:
    """"direct" or "inspect" for `model`, following `CODEGAP_ENGINE` (default: direct where it can)."""
    choice = (os.environ.get(ENGINE_ENV) or "auto").strip().lower()
    if choice not in ENGINES:
        raise ValueError(f"{ENGINE_ENV}={choice!r}: expected one of {', '.join(ENGINES)}")
    if choice == "inspect":
        return "inspect"
    if handles(model):
        return "direct"
    if choice == "direct":
        raise DirectError(f"{ENGINE_ENV}=direct: model {model} cannot use the direct path (it takes "
                          "openai-api/<service>/<model> and chat-completions openai/ models); unset it")
    return "inspect"


# --------------------------------------------------------------------------- endpoint


@dataclass(frozen=True)
class Endpoint:
    """Where and how to ask one model string: the same environment variables inspect reads."""

    model: str  #: the codegap model string
    provider: str  #: "openai" or "openai-api"
    name: str  #: the model name sent in the request body
    base_url: str
    key_var: str
    api_key: str = field(repr=False)

    @property
    def display_url(self) -> str:
        """The base URL without user info or query (safe to print and log)."""
        return display_url(self.base_url)


def display_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def endpoint(model: str) -> Endpoint:
    """Resolve base URL and key from the environment; DirectError naming the variable when one is unset."""
    spec = parse_model(model)
    if spec.provider == "openai-api":
        service, _, name = spec.name.partition("/")
        prefix = service.upper().replace("-", "_")
        url_var, key_var = f"{prefix}_BASE_URL", f"{prefix}_API_KEY"
        base_url = os.environ.get(url_var)
        if not base_url:
            raise DirectError(f"model {model}: set {url_var} to the server's URL (e.g. http://127.0.0.1:8000/v1)")
    elif spec.provider == "openai":
        name, key_var = spec.name, "OPENAI_API_KEY"
        base_url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    else:
        raise DirectError(f"model {model}: the direct path takes openai/ and openai-api/ models only")
    api_key = os.environ.get(key_var)
    if not api_key:
        raise DirectError(f"model {model}: set {key_var} (the API key; any value for a local server without auth)")
    return Endpoint(model=model, provider=spec.provider, name=name, base_url=base_url.rstrip("/"),
                    key_var=key_var, api_key=api_key)


# --------------------------------------------------------------------------- errors and retries


def _transient(exc: BaseException) -> bool:
    """Worth another try: the server was unreachable, slow, overloaded or rate-limiting."""
    import openai

    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError)):  # timeout subclasses connection
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 429) or 500 <= exc.status_code < 600
    return False


def _retry_after(exc: BaseException | None) -> float:
    """Seconds a `Retry-After` / `retry-after-ms` header asks for (0 when none; capped at 30 s)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return 0.0
    try:
        if headers.get("retry-after-ms"):
            return min(float(headers["retry-after-ms"]) / 1000, 30.0)
        if headers.get("retry-after"):
            return min(float(headers["retry-after"]), 30.0)
    except ValueError:  # an HTTP date: fall back to the backoff
        pass
    return 0.0


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _failure(ep: Endpoint, exc: BaseException, attempts: int, elapsed: float) -> DirectError:
    """The one-line error a failed request ends the run with."""
    import openai

    where = f"API server {ep.display_url} ({ep.model})"
    if isinstance(exc, openai.APIStatusError):
        detail = f"HTTP {exc.status_code}: {_one_line(exc.message)}"
        if exc.status_code in (401, 403):
            detail += f" (check {ep.key_var})"
        elif exc.status_code == 404:
            detail += f" (check the model name {ep.name!r} and that the base URL ends in /v1)"
    else:
        detail = _one_line(f"{type(exc).__name__}: {exc}")
        cause = exc.__cause__ or exc.__context__
        if cause is not None and str(cause) and str(cause) not in detail:
            detail += " " + _one_line(f"({cause})", 150)
    if attempts > 1:
        return DirectError(f"{where}: no answer after {attempts} attempts in {elapsed:.0f} s "
                           f"(retry budget {retry_budget():.0f} s, {ENV_RETRY}): {detail}")
    return DirectError(f"{where}: {detail}")


def retry_budget() -> float:
    """Seconds one request may spend on retries (`CODEGAP_API_RETRY_SECONDS`, default 60)."""
    return _env_seconds(ENV_RETRY, DEFAULT_RETRY_SECONDS)


def request_timeout() -> float:
    """Seconds one request may take (`CODEGAP_API_TIMEOUT`, default 600, as inspect)."""
    return _env_seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT)


def _env_seconds(var: str, default: float) -> float:
    raw = os.environ.get(var)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{var}={raw!r}: expected a number of seconds") from None
    if value < 0:
        raise ValueError(f"{var}={raw!r}: expected a number of seconds >= 0")
    return value


# --------------------------------------------------------------------------- clients and cache


_clients: dict[tuple[int, str, str], Any] = {}


def _client(ep: Endpoint) -> Any:
    """One AsyncOpenAI client per (event loop, URL, key): its connection pool lives as long as the loop.

    The client does not retry by itself (max_retries=0): tenacity is the one
    retry layer, so the total is bounded in one place.
    """
    from openai import AsyncOpenAI, Timeout

    loop = asyncio.get_running_loop()
    key = (id(loop), ep.base_url, hashlib.sha256(ep.api_key.encode()).hexdigest())
    client = _clients.get(key)
    if client is None:
        client = AsyncOpenAI(api_key=ep.api_key, base_url=ep.base_url, max_retries=0,
                             timeout=Timeout(request_timeout(), connect=CONNECT_TIMEOUT))
        _clients[key] = client
    return client


def cache_dir() -> Path:
    """Where the direct path's response cache lives.

    `$CODEGAP_RESPONSE_CACHE`; else, when `$INSPECT_CACHE_DIR` is set,
    `codegap-direct/` inside it (the one setting that isolates inspect's cache,
    as tests and CI do, isolates this one too); else `~/.cache/codegap/responses`.
    """
    if os.environ.get("CODEGAP_RESPONSE_CACHE"):
        return Path(os.environ["CODEGAP_RESPONSE_CACHE"])
    if os.environ.get("INSPECT_CACHE_DIR"):
        return Path(os.environ["INSPECT_CACHE_DIR"]) / "codegap-direct"
    return Path.home() / ".cache" / "codegap" / "responses"


class ResponseCache:
    """Replies on disk by request key (diskcache: one SQLite file, safe across threads and processes).

    Entries never expire and are never evicted: a rerun must find every reply.
    """

    def __init__(self, directory: Path) -> None:
        import diskcache

        self.directory = directory
        self._cache = diskcache.Cache(str(directory), eviction_policy="none", statistics=False)

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._cache.get(key)
        return json.loads(raw) if raw is not None else None

    def set(self, key: str, record: dict[str, Any]) -> None:
        self._cache.set(key, json.dumps(record, ensure_ascii=False))

    def __len__(self) -> int:
        return len(self._cache)


_caches: dict[Path, ResponseCache] = {}


def response_cache() -> ResponseCache:
    """The cache for the current `cache_dir()` (opened once per folder and process)."""
    path = cache_dir()
    cache = _caches.get(path)
    if cache is None:
        cache = _caches[path] = ResponseCache(path)
    return cache


# --------------------------------------------------------------------------- one batch


class _Log:
    """The batch's JSON-lines log: a header line, one line per request, a closing line with the outcome."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = open(path, "x", encoding="utf-8")  # a new file: logs are appended, never rewritten
        self.write(header)

    def write(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def close(self, footer: dict[str, Any]) -> None:
        if not self._fh.closed:
            self.write(footer)
            self._fh.close()


@dataclass
class Summary:
    """What one batch did: where its log is, how many real calls and cache hits, how long."""

    log: Path
    calls: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    engine: str = "direct"


class Session:
    """One batch of requests to one model (what one inspect evaluation was): concurrency, cache, log, progress."""

    def __init__(self, ep: Endpoint, *, max_connections: int, cache: ResponseCache | None, log: _Log,
                 total: int, on_progress: Callable[[int, int], None] | None) -> None:
        self.ep = ep
        self.cache = cache
        self.log = log
        self.total = total
        self.done = 0
        self.calls = 0
        self.cache_hits = 0
        self._on_progress = on_progress
        self._sem = asyncio.Semaphore(max_connections)
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._client = _client(ep)

    async def complete(self, messages: list[dict[str, str]], settings: Settings, *, sample: str = "",
                       round: int = 0) -> Reply:
        """Ask once (or read the cache); raises DirectError when the request cannot be answered."""
        body = request_body(self.ep.provider, self.ep.name, messages, settings)
        key = cache_key(self.ep.base_url, body)
        t0 = time.perf_counter()
        if self.cache is not None:
            record = self.cache.get(key)
            how = "hit"
            if record is None and key in self._inflight:  # the same request is being asked right now
                record, how = await asyncio.shield(self._inflight[key]), "shared"
            if record is not None:
                self.cache_hits += 1
                reply = reply_from_record(record, seconds=time.perf_counter() - t0, cached=True, key=key)
                self._log(sample, round, reply, how, attempts=0)
                return reply
            pending: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._inflight[key] = pending
        try:
            async with self._sem:
                t0 = time.perf_counter()
                record, attempts = await self._ask(body)
                seconds = time.perf_counter() - t0
        except BaseException as exc:
            if self.cache is not None:
                self._inflight.pop(key, None)
                if not pending.done():
                    if isinstance(exc, Exception):
                        pending.set_exception(exc)
                        pending.exception()  # retrieved: waiters get it, nobody logs "never retrieved"
                    else:
                        pending.cancel()
            raise
        self.calls += 1
        if self.cache is not None:
            self.cache.set(key, record)
            self._inflight.pop(key, None)
            pending.set_result(record)
        reply = reply_from_record(record, seconds=seconds, cached=False, key=key)
        self._log(sample, round, reply, "miss", attempts=attempts)
        return reply

    async def _ask(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """One request with retries for transient errors, within the retry budget."""
        import openai
        from tenacity import AsyncRetrying, retry_if_exception, stop_before_delay, wait_exponential_jitter

        backoff = wait_exponential_jitter(multiplier=0.5, max=10.0, jitter=0.5)
        attempts = 0
        start = time.monotonic()

        def wait(state: Any) -> float:
            return max(backoff(state), _retry_after(state.outcome.exception() if state.outcome else None))

        def before_sleep(state: Any) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.info("%s: attempt %d failed (%s); retrying", self.ep.display_url, state.attempt_number,
                        _one_line(str(exc), 120))

        async def once() -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            try:
                completion = await self._client.chat.completions.create(**body)
            except openai.APIStatusError as exc:
                if exc.status_code in (400, 403, 413, 422):
                    output = output_from_error(self.ep.provider, self.ep.name, exc)
                    if output is not None:
                        return output
                raise
            return record_from_completion(completion)

        retrying = AsyncRetrying(retry=retry_if_exception(_transient), wait=wait,
                                 stop=stop_before_delay(retry_budget()), before_sleep=before_sleep, reraise=True)
        try:
            record = await retrying(once)
        except (openai.OpenAIError, ValueError) as exc:
            raise _failure(self.ep, exc, attempts, time.monotonic() - start) from exc
        return record, attempts

    def _log(self, sample: str, round: int, reply: Reply, how: str, attempts: int) -> None:
        line: dict[str, Any] = {"sample": sample, "round": round, "request": reply.key, "cache": how,
                                "reply": reply.text, "stop": reply.stop_reason, "tokens_in": reply.tokens_in,
                                "tokens_out": reply.tokens_out, "seconds": round_(reply.seconds),
                                "model": reply.model}
        if reply.content != reply.text:
            line["content"] = reply.content
        if attempts > 1:
            line["attempts"] = attempts
        self.log.write(line)

    def sample_done(self) -> None:
        """One sample (all its rounds) finished: advance the progress callback."""
        self.done += 1
        self.report()

    def report(self) -> None:
        if self._on_progress is None:
            return
        try:
            self._on_progress(self.done, self.total)
        except Exception:  # a progress display must never fail a run
            logger.warning("on_progress callback failed", exc_info=True)


def round_(seconds: float) -> float:
    return round(seconds, 4)


def log_path(log_dir: Path, name: str) -> Path:
    """A new log file name in inspect's pattern: `<UTC time>_<name>_<random id>.jsonl`."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S+00-00")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:80]
    return Path(log_dir) / f"{stamp}_{safe}_{uuid.uuid4().hex[:12]}.jsonl"


def run(model: str, work: Callable[[Session], Awaitable[T]], *, log_dir: str | Path, name: str, total: int,
        max_connections: int | None = None, cache: bool = True,
        on_progress: Callable[[int, int], None] | None = None,
        header: dict[str, Any] | None = None) -> tuple[T, Summary]:
    """Run `work(session)` on the engine's shared event loop; return its result and the batch summary.

    `total` is the number of samples `work` will report through
    `session.sample_done()` (progress: `on_progress(done, total)`, first with
    (0, total), from the loop's thread). The first error of any request
    cancels the rest and is raised (DirectError, one line). Ctrl-C cancels the
    batch; replies already received stay in the cache, and the log says
    "cancelled".
    """
    from codegap.models import engine

    ep = endpoint(model)
    conc = max_connections or DEFAULT_MAX_CONNECTIONS
    responses = response_cache() if cache else None
    path = log_path(Path(log_dir), name)

    async def main() -> tuple[T, Summary]:
        log = _Log(path, {"engine": "direct", "model": model, "base_url": ep.display_url, "name": name,
                          "samples": total, "max_connections": conc, "cache": str(responses.directory)
                          if responses else None, "started": dt.datetime.now(dt.timezone.utc).isoformat(),
                          **(header or {})})
        session = Session(ep, max_connections=conc, cache=responses, log=log, total=total, on_progress=on_progress)
        t0 = time.perf_counter()
        status, error = "success", None
        try:
            session.report()
            result = await work(session)
            return result, Summary(log=path, calls=session.calls, cache_hits=session.cache_hits,
                                   seconds=time.perf_counter() - t0)
        except BaseException as exc:
            status = "cancelled" if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)) else "error"
            error = _one_line(str(exc)) if status == "error" else None
            raise
        finally:
            log.close({"status": status, "error": error, "calls": session.calls,
                       "cache_hits": session.cache_hits, "seconds": round_(time.perf_counter() - t0)})

    with engine._run_lock, engine._fewer_collections():
        try:
            return engine._engine_loop().run(main())
        except BaseExceptionGroup as group:  # a TaskGroup in `work`: raise its first real error
            raise _first_error(group) from group


def _first_error(group: BaseExceptionGroup) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return group.exceptions[0]
