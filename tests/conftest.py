"""Shared test helpers: where the repo and the fixtures are, the book built once, the browser named."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def pytest_report_header(config) -> str:
    """Name the browser the headless checks use (tests/browser_support.py) in every test log."""
    from browser_support import find_browser

    found = find_browser()
    return f"browser: {found.describe() if found else 'no Chromium-family browser found'}"


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """One strict (-W) build of the real book plus a labelled fixture run, shared by tests."""
    from book_support import add_fixture_run, build, copy_repo

    root = copy_repo(REPO, tmp_path_factory.mktemp("book"))
    add_fixture_run(root)
    res = build(root)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return root


@pytest.fixture
def default_sigint():
    """Python's own Ctrl-C handler for one test, then whatever was there before.

    A process started in the background by a shell without job control inherits SIGINT
    ignored, and Python then installs no KeyboardInterrupt handler: tests that send
    themselves SIGINT to check Ctrl-C handling need the handler an interactive user has.
    """
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
