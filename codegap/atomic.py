"""The one atomic writer: a file appears whole or not at all.

Two cases, both through a temporary file in the target's own folder (so the
final step is a same-filesystem rename or link) that is flushed and fsynced:

- `write_new`: for records and samples, which are append-only evidence. The
  temporary file is hard-linked to the final name, which fails if that name
  exists, so nothing recorded can ever be overwritten.
- `replace`: for caches and snapshots that are meant to be refreshed; the old
  content stays readable until the new one is complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _read_umask() -> int:
    """The process umask (read once at import: os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _temp(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    try:
        # mkstemp creates 0600; results and caches are shared files, so give them the
        # mode an ordinary open() would (0666 less the umask)
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_new(path: Path, data: bytes | str) -> Path:
    """Create `path` with `data` atomically; FileExistsError if it already exists."""
    path = Path(path)
    tmp = _temp(path, _bytes(data))
    try:
        os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path


def replace(path: Path, data: bytes | str) -> Path:
    """Write `path` atomically, replacing any previous content."""
    path = Path(path)
    tmp = _temp(path, _bytes(data))
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
