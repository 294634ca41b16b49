"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benchmarks.

Why: tests must exercise the real `openai-api/<name>/<model>` path of inspect_ai
(client, retries, concurrency, cache) without touching the internet. The server
answers `POST /v1/chat/completions` (and `GET /v1/models`) after a configurable
latency, with text produced by a pluggable function of the request messages.

Usage::

    with OpenAIStub(answer=lambda messages: "42", latency=0.2) as srv:
        os.environ["TEST_BASE_URL"] = srv.base_url      # http://127.0.0.1:<port>/v1
        os.environ["TEST_API_KEY"] = "anything"
        ...  # run inspect with model "openai-api/test/stub-model"
        assert srv.call_count == 3
        srv.calls[0]["messages"]                         # the recorded request bodies

`answer` may take one argument (the list of message dicts) or two
(messages, full request body). Each message's `content` is normalised to a
plain string (OpenAI "content parts" are joined), so answer functions stay simple.
It returns the reply text, or a dict for a fuller reply: message fields
(`content`, `refusal`, `reasoning_content`, ...) plus optionally `finish_reason`
and `usage` (e.g. a truncated reply, or reasoning beside the answer).
`fail_first=k` answers the first k calls with HTTP `fail_status` (default 500)
and the error body `fail_error` (e.g. a `code`).

`srv.max_in_flight` is the peak number of requests the server held at once since
`reset()` (`srv.stats()` gives calls, in flight now, and that peak). `port=` fixes
the port (inspect's response cache keys on the base URL, so a rerun that must hit
the cache needs the same one). Benchmarks use `OpenAIStubProcess`: the same
server in a child process with a fixed reply, its counters read over HTTP.
"""

from __future__ import annotations

import inspect
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

Answer = Callable[..., str]

#: Bookkeeping routes (under the /v1 base URL): GET stats, POST reset.
STATS_PATH = "/_stub/stats"
RESET_PATH = "/_stub/reset"


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with a listen backlog for bursts of new connections.

    The backlog is fixed when the constructor calls listen(), so it must be a
    class attribute: the default of 5 drops the SYNs of a burst of new
    connections (a client opening 32 at once), and each dropped one is
    retried by the kernel only after 1 s, which capped the requests in flight
    and added whole seconds to every run.
    """

    request_queue_size = 512
    daemon_threads = True


def _content_text(content: Any) -> str:
    """Flatten OpenAI message content (string or list of parts) to text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def _default_answer(messages: list[dict[str, Any]]) -> str:
    """Echo the last user message, so a test can see what was sent."""
    users = [m for m in messages if m.get("role") == "user"]
    return f"echo: {users[-1]['content'] if users else ''}"


class OpenAIStub:
    """Context manager running the stub server in a background thread.

    Attributes:
        base_url: `http://127.0.0.1:<port>/v1`, what `<NAME>_BASE_URL` should be.
        calls: request bodies of chat completions, in arrival order.
        headers: request headers of those calls (same order), e.g. to check auth.
        model_id: model name reported back in responses (default: the requested one).
    """

    def __init__(
        self,
        answer: Answer | None = None,
        *,
        latency: float = 0.0,
        model_id: str | None = None,
        fail_first: int = 0,
        fail_status: int = 500,
        fail_error: dict[str, Any] | None = None,
        port: int = 0,
    ) -> None:
        self._port = port
        self.answer = answer or _default_answer
        self.latency = latency
        self.model_id = model_id
        self.fail_first = fail_first  # answer the first k calls with an error (retry tests)
        self.fail_status = fail_status
        self.fail_error = fail_error or {"message": "stub: deliberate failure", "type": "server_error"}
        self.calls: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._answer_arity = self._arity(self.answer)

    @staticmethod
    def _arity(fn: Callable[..., Any]) -> int:
        try:
            params = [
                p for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            return 2 if len(params) >= 2 else 1
        except (TypeError, ValueError):
            return 1

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> "OpenAIStub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle on, the second
            # waits for the client's delayed ACK (~40 ms on Linux), which added
            # 40 ms to every request and hid the real client overhead.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def setup(self) -> None:
                super().setup()
                with stub._lock:
                    stub._connections.add(self.connection)

            def finish(self) -> None:
                with stub._lock:
                    stub._connections.discard(self.connection)
                super().finish()

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                if self.path.rstrip("/").endswith(STATS_PATH):
                    self._send(200, stub.stats())
                elif self.path.rstrip("/").endswith("/models"):
                    mid = stub.model_id or "stub-model"
                    self._send(200, {"object": "list", "data": [
                        {"id": mid, "object": "model", "created": 0, "owned_by": "stub"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                if self.path.rstrip("/").endswith(RESET_PATH):
                    stub.reset()
                    self._send(200, stub.stats())
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "body is not JSON"}})
                    return
                self._send(*stub._complete(body, dict(self.headers)))

        self._server = _Server(("127.0.0.1", self._port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close open keep-alive connections.

        Otherwise their handler threads would keep answering a client that
        still holds a pooled connection, as if the server were still up.
        """
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "OpenAIStub":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ requests
    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self.calls)

    def stats(self) -> dict[str, int]:
        """Calls so far, requests in flight now, and the peak in flight since `reset()`."""
        with self._lock:
            return {"calls": len(self.calls), "in_flight": self._in_flight,
                    "max_in_flight": self.max_in_flight}

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.headers.clear()
            self.max_in_flight = 0

    def _complete(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            index = len(self.calls)
            self.calls.append(body)
            self.headers.append(headers)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if index < self.fail_first:
                return self.fail_status, {"error": dict(self.fail_error)}
            messages = [
                {**m, "content": _content_text(m.get("content"))} for m in body.get("messages", [])
            ]
            try:
                text = self.answer(messages, body) if self._answer_arity == 2 else self.answer(messages)
            except Exception as exc:  # surface answer-function bugs to the client
                return 500, {"error": {"message": f"stub answer function raised: {exc!r}"}}
            return 200, self._response(body, text if isinstance(text, dict) else str(text))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _response(self, body: dict[str, Any], text: str | dict[str, Any]) -> dict[str, Any]:
        prompt_tokens = sum(len(_content_text(m.get("content")).split()) for m in body.get("messages", []))
        reply = dict(text) if isinstance(text, dict) else {"content": text}
        finish_reason = reply.pop("finish_reason", "stop")
        usage = reply.pop("usage", None)
        completion_tokens = len(str(reply.get("content") or "").split())
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_id or body.get("model", "stub-model"),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", **reply},
                "finish_reason": finish_reason,
                "logprobs": None,
            }],
            "usage": usage or {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


class OpenAIStubProcess:
    """The same server in a child process, for benchmarks.

    In-process, the stub's threads share the interpreter lock with the client
    under test, so the client's CPU cost also slows the server (and vice versa);
    a real server runs in its own process. The child answers every request with
    the fixed text `answer`; `stats()` / `reset()` / `max_in_flight` /
    `call_count` read and reset its counters over HTTP.
    """

    def __init__(self, answer: str = "42", *, latency: float = 0.0) -> None:
        self.answer = answer
        self.latency = latency
        self._proc: Any = None
        self.base_url = ""

    def __enter__(self) -> "OpenAIStubProcess":
        import subprocess
        import sys

        self._proc = subprocess.Popen(
            [sys.executable, __file__, "--latency", str(self.latency), "--answer", self.answer],
            stdout=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline()
        if not line.startswith("serving on "):
            self._proc.kill()
            raise RuntimeError(f"stub server did not start: {line!r}")
        self.base_url = line.split()[2]
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    def _request(self, method: str, path: str) -> dict[str, Any]:
        import urllib.request

        req = urllib.request.Request(self.base_url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict[str, int]:
        return self._request("GET", STATS_PATH)

    def reset(self) -> None:
        self._request("POST", RESET_PATH)

    @property
    def max_in_flight(self) -> int:
        return self.stats()["max_in_flight"]

    @property
    def call_count(self) -> int:
        return self.stats()["calls"]


if __name__ == "__main__":  # python tests/support/openai_server.py [--latency S] [--answer TEXT]
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--answer", default=None, help="fixed reply text (default: echo the last user message)")
    args = ap.parse_args()
    fixed = args.answer
    with OpenAIStub((lambda messages: fixed) if fixed is not None else None,
                    latency=args.latency, port=args.port) as srv:
        print(f"serving on {srv.base_url} (Ctrl-C or SIGTERM to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
