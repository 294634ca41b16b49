"""Speed of the offline literature fetch: index build, first fetch, rerun, forced re-rank.

Measures, on a copy of the repo's claims in a temporary folder, with a temporary mirror
index and a temporary (empty) embedding cache, so it never touches literature/ or the
user's caches:

* building the mirror index of the shared 190k-record snapshot;
* the first fetch over all claims: every list searched, every pool paper embedded
  (all-MiniLM-L6-v2 on CPU: the slow step, roughly 15-25k papers for 16 claims);
* a rerun with nothing new: no search, no embedding, nothing written;
* a forced re-rank (`--force`): every list searched again, embeddings all from the
  on-disk cache (what a new mirror snapshot with few new papers costs).

Targets (2 CPU cores): index < 120 s; rerun < 10 s with zero papers embedded; forced
re-rank embeds zero papers. The first fetch has no target; it is reported with the number
of papers embedded and the embedding rate, and is slower on a busy machine.
Run: `.venv/bin/python benchmarks/bench_fetch.py` (needs ../shared or $CODEGAP_ARXIV_SNAPSHOT).
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
        root, cache, emb = Path(tmp) / "repo", Path(tmp) / "cache", Path(tmp) / "emb"
        shutil.copytree(REPO / "claims", root / "claims")
        (root / "literature").mkdir()
        shutil.copy(REPO / "literature" / "reviews.yaml", root / "literature" / "reviews.yaml")
        snapshot = default_mirror_snapshot(REPO)
        t0 = time.perf_counter()
        open_mirror(snapshot, cache)
        build = time.perf_counter() - t0
        t0 = time.process_time()
        first = do_fetch(root, mirror_path=snapshot, cache_dir=cache, embed_cache=emb)
        cpu_first = time.process_time() - t0
        second = do_fetch(root, mirror_path=snapshot, cache_dir=cache, embed_cache=emb)
        forced = do_fetch(root, mirror_path=snapshot, cache_dir=cache, embed_cache=emb, force=True)
    rate = first.embedded / first.seconds if first.seconds else float("nan")
    print(f"index build {build:.1f}s (target < 120s)")
    print(f"first fetch {first.seconds:.1f}s wall, {cpu_first:.1f}s CPU of this process, over "
          f"{len(first.outcomes)} claims; {first.embedded} papers embedded ({rate:.1f}/s wall)")
    print(f"rerun with nothing new {second.seconds:.2f}s, {second.embedded} embedded, wrote={second.wrote} "
          f"(target < 10s, 0 embedded, nothing written)")
    print(f"forced re-rank {forced.seconds:.1f}s, {forced.embedded} embedded (target 0 embedded)")
    ok = build < 120 and second.seconds < 10 and second.embedded == 0 and not second.wrote and forced.embedded == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
