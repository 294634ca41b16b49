"""Where things live: the one module that knows the repository's layout.

Every other module asks here for the claims folder, the results store, the
notebooks and the cache, so an environment variable (used by tests and by
users who keep results elsewhere) redirects all of them at once, and no module
computes `Path(__file__).parents[n]` on its own.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout this package was imported from.
REPO = Path(__file__).resolve().parent.parent


def claims_dir() -> Path:
    """`claims/`, or `$CODEGAP_CLAIMS_DIR` (tests and fixture runs point it elsewhere)."""
    env = os.environ.get("CODEGAP_CLAIMS_DIR")
    return Path(env) if env else REPO / "claims"


def results_dir() -> Path:
    """`results/`, or `$CODEGAP_RESULTS`."""
    env = os.environ.get("CODEGAP_RESULTS")
    return Path(env) if env else REPO / "results"


def notebooks_dir() -> Path:
    """`notebooks/`: one thin report notebook per live-checked claim."""
    return REPO / "notebooks"


def cache_dir() -> Path:
    """`$CODEGAP_CACHE` or `~/.cache/codegap`: weights, indexes, embeddings (never committed)."""
    env = os.environ.get("CODEGAP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "codegap"


def relative(path: Path, root: Path | None = None) -> str:
    """`path` relative to `root` (default: the repository) when inside it, else as given."""
    root = root or REPO
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def inside(path: Path, root: Path) -> bool:
    """True when `path` (resolved, symlinks followed) lies inside `root`."""
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except ValueError:
        return False
