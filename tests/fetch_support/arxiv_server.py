"""A local stand-in for export.arxiv.org that replays recorded API responses.

Requests are matched on their query parameters (order-free) against
`requests.tsv` of the shared recordings. A test can queue faults that are
applied to the next requests in order (status codes with optional
Retry-After, a delay to provoke a client timeout, a truncated body), and can
install a fallback file served for any search the recordings do not cover.
Every request is logged with its arrival time, so spacing can be checked.
"""

from __future__ import annotations

import csv
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


def _key(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


@dataclass
class Replay:
    responses_dir: Path
    table: dict[tuple, tuple[Path, int]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    fallback: Path | None = None
    log: list[tuple[float, str]] = field(default_factory=list)

    @classmethod
    def load(cls, responses_dir: Path) -> "Replay":
        table = {}
        with (responses_dir / "requests.tsv").open(newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                table[_key(urlsplit(row["url"]).query)] = (responses_dir / row["file"], int(row["status"]))
        return cls(responses_dir, table)

    def answer(self, query: str) -> tuple[int, dict[str, str], bytes, float]:
        """(status, headers, body, delay seconds) for one request."""
        self.log.append((time.monotonic(), query))
        fault = self.faults.pop(0) if self.faults else None
        hit = self.table.get(_key(query))
        if hit is None and self.fallback is not None and dict(parse_qsl(query)).get("search_query"):
            hit = (self.fallback, 200)
        body, status = (hit[0].read_bytes(), hit[1]) if hit else (b"no recording for this request", 404)
        if fault is None:
            return status, {}, body, 0.0
        kind, _, arg = fault.partition(":")
        if kind == "sleep":
            return status, {}, body, float(arg)
        if kind == "truncate":
            return 200, {}, body[: len(body) // 2], 0.0
        headers = {"Retry-After": arg} if arg else {}
        return int(kind), headers, b"<html>upstream error</html>", 0.0


class _Handler(BaseHTTPRequestHandler):
    replay: Replay

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        status, headers, body, delay = self.replay.answer(urlsplit(self.path).query)
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args: object) -> None:
        pass


class ArxivReplayServer:
    """Context manager: `with ArxivReplayServer(dir) as srv: srv.url ...`."""

    def __init__(self, responses_dir: Path):
        self.replay = Replay.load(responses_dir)
        handler = type("H", (_Handler,), {"replay": self.replay})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def __enter__(self) -> "ArxivReplayServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
