"""Helpers for the fetcher's tests: the committed fixtures, and the optional full mirror.

The recorded arXiv API responses, Semantic Scholar cassettes and a subset of the
arXiv metadata snapshot travel with the repository (tests/fixtures/fetch/, gzipped;
licences in its README). `fixture_dir` unpacks one folder of them once per test
session. Only tests marked `full_mirror` use the 190k-record snapshot in ../shared,
and they skip when it is absent.
"""

from __future__ import annotations

import atexit
import gzip
import os
import shutil
import tempfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fetch"
MIRROR_SUBSET = FIXTURES / "mirror" / "arxiv-metadata-subset.jsonl.gz"
_unpacked: dict[str, Path] = {}


def shared_dir() -> Path:
    """../shared beside the checkout (or $CODEGAP_SHARED)."""
    env = os.environ.get("CODEGAP_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared"


def fixture_dir(*parts: str) -> Path:
    """A committed fixture folder with every `*.gz` in it unpacked (a session-wide temp copy)."""
    key = "/".join(parts)
    if key not in _unpacked:
        src = FIXTURES.joinpath(*parts)
        if not src.is_dir():
            raise FileNotFoundError(f"fixture folder {src} is missing")
        dst = Path(tempfile.mkdtemp(prefix="codegap-fixture-"))
        atexit.register(shutil.rmtree, dst, True)
        for f in src.rglob("*"):
            if f.is_dir():
                continue
            rel = f.relative_to(src)
            target = dst / (rel.with_suffix("") if f.suffix == ".gz" else rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            if f.suffix == ".gz":
                with gzip.open(f, "rb") as fin, target.open("wb") as fout:
                    shutil.copyfileobj(fin, fout)
            else:
                shutil.copyfile(f, target)
        _unpacked[key] = dst
    return _unpacked[key]


def full_mirror_snapshot() -> Path:
    """The 190k-record snapshot in ../shared; skips the test (also under CI) when it is absent."""
    path = shared_dir() / "data" / "arxiv" / "arxiv-metadata-snapshot.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"full arXiv mirror not found at {path} (optional: tests marked full_mirror)")
    return path
