"""How far the proxy-reward-trap check's timing classes sit from its 20x line, and what grading costs.

For every family, the literal (naive) program and the efficient one are graded
`--rounds` times on fresh instances, each in its own sandboxed process, the way
the check grades a reply: CPU time of the calling thread against the reference
timed in the same process. Reported per family: the range of the ratio at the
largest size for each program (the naive programs should stay far above 20x,
the efficient ones far below, even on a loaded machine: run it beside a busy
job to see), the fitted growth exponents, and the seconds one grading takes.

Target: the smallest naive ratio / the largest efficient ratio >= 16 (a 4x
margin on each side of the line), i.e. noise up to 4x cannot move a program
across it.

Run: `.venv/bin/python benchmarks/bench_proxy_timing.py [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import time

from common import median, report, spread

from codegap.experiments.proxy_reward_trap import generator, grader
from codegap.experiments.proxy_reward_trap.families import FAMILIES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    worst_naive, worst_fast = float("inf"), 0.0
    costs: list[float] = []
    for name, fam in FAMILIES.items():
        ratios: dict[str, list[float]] = {"naive": [], "efficient": []}
        exps: dict[str, list[float]] = {"naive": [], "efficient": []}
        for r in range(args.rounds):
            inst = generator.make_instance(r, r, name, 3)
            for kind in ratios:
                t0 = time.perf_counter()
                g = grader.grade(inst, f"```python\n{getattr(fam, kind)}```")
                costs.append(time.perf_counter() - t0)
                v = g.value
                ratios[kind].append(v["ratio"] if v["ratio"] is not None else float("inf"))
                exps[kind].append(v["exponent"] or 0.0)
        worst_naive = min(worst_naive, min(ratios["naive"]))
        worst_fast = max(worst_fast, max(ratios["efficient"]))
        print(f"{name:13s} naive {min(ratios['naive']):8.1f}-{max(ratios['naive']):8.1f}x "
              f"(exponent {median(exps['naive']):.2f})   efficient {min(ratios['efficient']):.2f}-"
              f"{max(ratios['efficient']):.2f}x (exponent {median(exps['efficient']):.2f})")
    print(f"grading one reply: {spread(costs)}")
    report("proxy_timing_margin", worst_naive, worst_fast, ">= 16", "x")


if __name__ == "__main__":
    main()
