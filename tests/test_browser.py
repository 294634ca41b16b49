"""Open the built site in real headless Chromium: charts render, nothing is fetched from
outside the machine, and our own code logs no errors."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser_support import find_browser

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-quic", "--no-first-run", "--disable-sync"]

# Errors raised by Jupyter Book 1's bundled theme scripts, not by anything codegap ships:
# sphinx-thebe declares THEBE_JS_URL in two inline tags, and the pydata theme logs its mode.
THIRD_PARTY = ("THEBE_JS_URL", "Got invalid theme mode")


@pytest.fixture(scope="module")
def chromium() -> str:
    """The real Chromium-family browser of this machine (tests/browser_support.py), named in the log."""
    found = find_browser()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium-family browser found; `make browser` finds or installs one")
        pytest.skip("no Chromium-family browser found")
    print(f"\nbrowser: {found.describe()}")
    return found.path


@pytest.fixture(scope="module")
def site(built_book, chromium):
    html = built_book / "_build" / "html"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", chromium
    httpd.shutdown()


def _visit(site: tuple[str, str], path: str, screenshot: Path | None = None):
    base, executable = site
    url = f"{base}/{path}"
    from playwright.sync_api import sync_playwright

    errors, foreign, missing = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
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
    charts, marks, errors, foreign, text = _visit(site, "book/generated/dashboard.html", tmp_path / "dash.png")
    assert charts >= 2, "matrix and timeline"
    assert marks > 20, "chart marks must be drawn in the DOM"
    assert errors == []
    assert foreign == [], "the page must not fetch anything from outside this machine"
    assert "Every claim at a glance" in text


def test_claim_page_renders_results_chart(site):
    charts, marks, errors, foreign, text = _visit(site, "book/generated/claims/iterative-execution.html")
    assert charts >= 2 and marks > 5
    assert errors == [] and foreign == []
    assert "Latest verdict per tested subject" in text and "Newer work since" in text


def test_filter_box_hides_replies_that_do_not_match(site):
    """The table of replies on a run page: the filter box works (codegap.js), replies stay text."""
    from playwright.sync_api import sync_playwright

    base, executable = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)) if not any(t in str(e) for t in THIRD_PARTY) else None)
        page.goto(f"{base}/book/generated/runs/iterative-execution--fixture--not-a-real-model.html", wait_until="load")
        rows = page.locator("table.cg-samples-table tbody tr")
        assert rows.count() == 4, "the table shows the first `limit` replies"
        assert "The first 4 of 5 replies" in page.inner_text("main")
        assert page.locator("table.cg-samples-table b").count() == 0, "a reply's markup is shown as text"
        page.fill("input.cg-filter", "direct")
        visible = [r for r in range(rows.count()) if rows.nth(r).is_visible()]
        assert len(visible) == 2
        page.fill("input.cg-filter", "")
        assert all(rows.nth(r).is_visible() for r in range(rows.count()))
        browser.close()
    assert errors == []
