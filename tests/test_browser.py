"""Open the built site in real headless Chromium: charts render, nothing is fetched from
outside the machine, and our own code logs no errors."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-quic", "--no-first-run", "--disable-sync"]

# Errors raised by Jupyter Book 1's bundled theme scripts, not by anything codegap ships:
# sphinx-thebe declares THEBE_JS_URL in two inline tags, and the pydata theme logs its mode.
THIRD_PARTY = ("THEBE_JS_URL", "Got invalid theme mode")


@pytest.fixture(scope="module")
def site(built_book):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; `make test` installs it (make browser)")
        pytest.skip("chromium not installed")
    html = built_book / "_build" / "html"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _visit(url: str, screenshot: Path | None = None):
    from playwright.sync_api import sync_playwright

    errors, foreign, missing = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1800})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: foreign.append(r.url)
                if urlparse(r.url).hostname not in ("127.0.0.1", "localhost") and not r.url.startswith("data:") else None)
        page.on("response", lambda r: missing.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.goto(url, wait_until="load")
        marks = page.locator("figure.codegap-chart svg [class*='mark-'] path, "
                             "figure.codegap-chart svg [class*='mark-'] rect, "
                             "figure.codegap-chart svg [class*='mark-'] line").count()
        charts = page.locator("figure.codegap-chart svg").count()
        text = page.inner_text("main")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    # "Failed to load resource" repeats a response already checked (with its URL) in `missing`;
    # the browser's automatic /favicon.ico request is the only 404 allowed.
    ours = [e for e in errors if not any(t in e for t in THIRD_PARTY) and not e.startswith("Failed to load resource")]
    return charts, marks, ours + missing, foreign, text


def test_dashboard_renders_its_charts_offline(site, tmp_path):
    charts, marks, errors, foreign, text = _visit(f"{site}/book/generated/dashboard.html", tmp_path / "dash.png")
    assert charts >= 2, "matrix and timeline"
    assert marks > 20, "chart marks must be drawn in the DOM"
    assert errors == []
    assert foreign == [], "the page must not fetch anything from outside this machine"
    assert "Every claim at a glance" in text


def test_claim_page_renders_results_chart(site):
    charts, marks, errors, foreign, text = _visit(f"{site}/book/generated/claims/iterative-execution.html")
    assert charts >= 2 and marks > 5
    assert errors == [] and foreign == []
    assert "Latest verdict per model" in text and "Newer work since" in text
