"""Profile driver for API runs: N samples through `run_eval` against the stub server in a child process.

Why a separate script: `bench_api_concurrency.py` prints ratios; this one is
the thing to put under a profiler (py-spy, cProfile) to see where per-sample
time goes, and to time per-eval start-up (many small evals vs one large one,
as `codegap run`'s sequential batches call `run_eval`).

    python benchmarks/profile_api.py --concurrency 32 --samples 200 --latency 0.2
    python benchmarks/profile_api.py --batches 20 --samples 10        # 20 evals of 10
    py-spy record -o prof.svg -- python benchmarks/profile_api.py ...
    python benchmarks/profile_api.py --cprofile 30                    # top 30 by own CPU time
    python benchmarks/profile_api.py --engine direct --cprofile 30    # a codegap batch on the direct path
    py-spy record -f raw -o prof.txt -- python benchmarks/profile_api.py ...   # raw stacks
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import threading
import time

from bench_api_concurrency import collect, make_task
from common import REPO

sys.path.insert(0, str(REPO / "tests"))


def on_engine_loop(fn) -> None:
    """Call fn on run_eval's event-loop thread (cProfile profiles only the thread that enables it)."""
    from codegap.models import engine

    done = threading.Event()
    engine._engine_loop().loop.call_soon_threadsafe(lambda: (fn(), done.set()))
    done.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200, help="samples per eval")
    ap.add_argument("--batches", type=int, default=1, help="evals run one after another")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--cprofile", type=int, default=0, metavar="N", help="print the top N functions")
    ap.add_argument("--engine", choices=("eval", "direct", "inspect"), default="eval",
                    help="eval: run_eval on an inspect task (inspect's engine alone); direct / inspect: a "
                         "codegap batch through collect on that path (cache, log, rows, grading)")
    args = ap.parse_args()

    from codegap.models.engine import run_eval
    from support.openai_server import OpenAIStubProcess

    with tempfile.TemporaryDirectory() as tmp, OpenAIStubProcess("42", latency=args.latency) as srv:
        os.environ["BENCH_BASE_URL"] = srv.base_url
        os.environ["BENCH_API_KEY"] = "bench-not-a-key"
        run_eval(make_task(1), "openai-api/bench/stub", seed=0, log_dir=os.path.join(tmp, "warm"), cache=False)
        if args.engine != "eval":
            collect(args.engine, tmp, args.concurrency, samples=2)
        srv.reset()
        # CPU time, not wall time: on a busy machine wall time charges other
        # processes' turns to whatever function happened to be running
        prof = cProfile.Profile(time.thread_time) if args.cprofile else None
        if prof:
            on_engine_loop(prof.enable)
        t0, c0 = time.perf_counter(), time.process_time()
        for b in range(args.batches):
            if args.engine != "eval":
                collect(args.engine, tmp, args.concurrency, samples=args.samples)
                continue
            run_eval(make_task(args.samples, b * args.samples), "openai-api/bench/stub", seed=0,
                     log_dir=os.path.join(tmp, "logs"), max_connections=args.concurrency, cache=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if prof:
            on_engine_loop(prof.disable)
        stats = srv.stats()
    n = args.samples * args.batches
    print(f"{args.batches} eval(s) x {args.samples} samples, concurrency {args.concurrency}, "
          f"latency {args.latency}s: {wall:.2f} s ({1000 * wall / n:.1f} ms/sample), "
          f"CPU {cpu:.2f} s ({1000 * cpu / n:.1f} ms/sample), "
          f"server calls {stats['calls']}, peak in flight {stats['max_in_flight']}")
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.cprofile)


if __name__ == "__main__":
    main()
