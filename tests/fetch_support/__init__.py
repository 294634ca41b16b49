"""Helpers for the fetcher's tests: where shared data is, and a local arXiv replay server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """../shared beside the checkout (or $CODEGAP_SHARED)."""
    env = os.environ.get("CODEGAP_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared"


def require_shared(*parts: str) -> Path:
    """A path under shared/; missing -> FAIL under CI, skip elsewhere."""
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        msg = f"shared data missing: {path}"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path
