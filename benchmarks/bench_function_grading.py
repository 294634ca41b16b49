"""Grading cost of the function-problem checks (test-insufficiency, self-invoking-code).

Each reply is run on a suite of ~200 inputs. Contenders, on the same reference
programs of generated problems (`codegap.experiments.function_problems`):

- ours: the whole suite in ONE sandboxed process (`harness.run_suites`), the
  way the checks grade;
- per case: one sandboxed process per input (what grading one test at a
  time would cost), measured on a slice of the suite and scaled to its size.

Reported: seconds per reply for each, the ratio (target: batched <= 1/20 of
per-case), and the grading seconds a default-budget run adds (test-insufficiency:
up to 2 runs per reply; self-invoking-code: 3 runs per pair), at 2 grading threads.

Run: `.venv/bin/python benchmarks/bench_function_grading.py [--rounds 3] [--slice 10]`.
"""

from __future__ import annotations

import argparse
import time

from common import median, report, spread

from codegap.experiments.answers import make_rng
from codegap.experiments.function_problems import FAMILIES, harness, make, run_suites


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--slice", type=int, default=10, help="inputs run one process each, per problem")
    args = ap.parse_args()
    problems = [make(fam, make_rng(r, "bench", fam), base_tests=2, augmented_tests=200)
                for r in range(args.rounds) for fam in FAMILIES]
    run_suites("pass\n", [])  # pick the sandbox plan once, outside the timings
    ours, per_case = [], []
    for p in problems:
        harness._execute.cache_clear()
        t0 = time.perf_counter()
        (res,) = run_suites(p.spec.code(), [(p.spec.name, p.augmented)])
        ours.append(time.perf_counter() - t0)
        assert res.ok, (p.spec.family, res.first_failures)
        t0 = time.perf_counter()
        for case in p.augmented[:args.slice]:
            harness._execute.cache_clear()
            run_suites(p.spec.code(), [(p.spec.name, (case,))])
        per_case.append((time.perf_counter() - t0) / args.slice * len(p.augmented))
    print(f"{len(problems)} problems x {len(problems[0].augmented)} inputs")
    print(f"  one process per suite: {spread(ours)} per reply")
    print(f"  one process per input: {spread(per_case)} per reply (scaled from {args.slice} inputs)")
    per_reply = median(ours)
    print(f"  test-insufficiency, 300 units, <= 2 runs each, 2 threads: <= {300 * 2 * per_reply / 2:.0f} s")
    print(f"  self-invoking-code, 200 units, 3 runs each, 2 threads:   ~ {200 * 3 * per_reply / 2:.0f} s")
    report("function_grading_batched_vs_per_input", median(ours), median(per_case), "<= 0.05", "s/reply")


if __name__ == "__main__":
    main()
