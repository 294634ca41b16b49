"""Speed of the offline literature fetch: mirror index build, first fetch, repeat fetch.

Targets (2 CPU cores): index of the 190k-record shared snapshot < 120 s; a repeat
`codegap fetch --offline` with nothing new < 10 s. Run: `.venv/bin/python benchmarks/bench_fetch.py`.
It works on a copy of the repo's claims in a temporary folder and a temporary cache,
so it never touches literature/snapshot.json.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fetch.cli import default_mirror_snapshot, do_fetch  # noqa: E402
from fetch.mirror import open_mirror  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp) / "repo", Path(tmp) / "cache"
        shutil.copytree(REPO / "claims", root / "claims")
        t0 = time.perf_counter()
        open_mirror(default_mirror_snapshot(REPO), cache)
        build = time.perf_counter() - t0
        first = do_fetch(root, mirror_path=default_mirror_snapshot(REPO), cache_dir=cache)
        second = do_fetch(root, mirror_path=default_mirror_snapshot(REPO), cache_dir=cache)
    ok = build < 120 and second.seconds < 10 and not second.wrote
    print(f"index build {build:.1f}s (target < 120s); first fetch {first.seconds:.1f}s over "
          f"{len(first.outcomes)} claims; repeat fetch {second.seconds:.2f}s (target < 10s), wrote={second.wrote}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
