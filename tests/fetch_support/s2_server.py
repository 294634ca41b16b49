"""A tiny Semantic Scholar stand-in on 127.0.0.1 for fault tests.

Routes are exact paths (query ignored) mapped to JSON bodies; `faults` is a
queue applied to the next requests: "429:<retry-after>", "503", "sleep:<s>",
"garbage" (a 200 with a non-JSON body).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


class S2Server:
    def __init__(self, routes: dict[str, object]):
        self.routes = routes
        self.faults: list[str] = []
        self.log: list[tuple[float, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.log.append((time.monotonic(), self.path, dict(self.headers)))
                fault = outer.faults.pop(0) if outer.faults else None
                path = unquote(urlsplit(self.path).path)
                status, body, headers = 200, outer.routes.get(path), {}
                if body is None:
                    status, body = 404, {"error": f"Paper with id {path} not found"}
                payload = json.dumps(body).encode()
                if fault:
                    kind, _, arg = fault.partition(":")
                    if kind == "sleep":
                        time.sleep(float(arg))
                    elif kind == "garbage":
                        payload = b'{"data": [trunc'
                    else:
                        status, payload = int(kind), b'{"message": "Too Many Requests"}'
                        if arg:
                            headers["Retry-After"] = arg
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "S2Server":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
