"""Shared test helpers: where the repo and ../shared are, and fixture claims."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


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
