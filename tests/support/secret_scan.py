"""Scan output files for a secret string, including inside zip archives.

Why a helper: API keys must never reach notebooks, logs, results or the built
site. inspect's `.eval` logs are zip archives (often compressed), so a plain
grep would miss a key written inside them; this looks into every zip member,
and also checks common encodings of the secret (base64, URL-quoting, JSON
escaping) so a key cannot slip through merely re-encoded.

Usage::

    from support.secret_scan import find_secret
    hits = find_secret([results_dir, site_dir], "sk-test-XYZ")
    assert not hits, hits      # each hit: "path[:member]"
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import zipfile
from pathlib import Path
from typing import Iterable


def encodings(secret: str) -> list[bytes]:
    """The byte patterns a leaked secret could appear as."""
    raw = secret.encode()
    forms = {
        raw,
        json.dumps(secret)[1:-1].encode(),
        urllib.parse.quote(secret, safe="").encode(),
        base64.b64encode(raw).rstrip(b"="),
    }
    return [f for f in forms if f]


def _scan_bytes(data: bytes, patterns: list[bytes]) -> bool:
    return any(p in data for p in patterns)


def _iter_files(roots: Iterable[str | Path]) -> Iterable[Path]:
    for root in roots:
        root = Path(root)
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file())


def find_secret(roots: Iterable[str | Path], secret: str) -> list[str]:
    """Every file (or `archive:member`) under `roots` that contains the secret."""
    if len(secret) < 8:
        raise ValueError("use a secret of at least 8 characters so matches are meaningful")
    patterns = encodings(secret)
    hits: list[str] = []
    for path in _iter_files(roots):
        data = path.read_bytes()
        if _scan_bytes(data, patterns):
            hits.append(str(path))
        if zipfile.is_zipfile(path):
            try:
                with zipfile.ZipFile(path) as zf:
                    for member in zf.namelist():
                        if _scan_bytes(zf.read(member), patterns):
                            hits.append(f"{path}:{member}")
            except (zipfile.BadZipFile, OSError, RuntimeError):
                hits.append(f"{path}: (unreadable archive: cannot prove it is clean)")
    return hits


def count_files(roots: Iterable[str | Path]) -> int:
    """How many files a scan covered (tests assert it is not zero)."""
    return sum(1 for _ in _iter_files(roots))
