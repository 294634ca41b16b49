"""Shared test helpers: where the repo and ../shared are, and fixture claims."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def pytest_report_header(config) -> str:
    """Name the browser the headless checks use (tests/browser_support.py) in every test log."""
    from browser_support import find_browser

    found = find_browser()
    return f"browser: {found.describe() if found else 'no Chromium-family browser found'}"


def shared_dir() -> Path:
    """../shared beside the checkout (or $CODEGAP_SHARED)."""
    return Path(os.environ.get("CODEGAP_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    """The shared data folder; in CI its absence is a failure, elsewhere a skip."""
    path = shared_dir()
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"../shared is missing at {path}; CI always provides it")
        pytest.skip(f"../shared not found at {path}")
    return path


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """One strict (-W) build of the real book plus a labelled fixture run, shared by tests."""
    from book_support import add_fixture_run, build, copy_repo

    root = copy_repo(REPO, tmp_path_factory.mktemp("book"))
    add_fixture_run(root)
    res = build(root)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return root
