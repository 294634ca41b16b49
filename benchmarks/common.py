"""Shared helpers for the benchmarks: model choice, thread count, timing, ratio lines.

Benchmarks measure side by side in one process and interleave the contenders
round by round, so a busy machine slows both alike. Every script ends with
`RATIO <name> = <value>` lines (machine-readable) and the target.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: Which embedded model the local benchmarks use (default: the book's default).
BENCH_MODEL = os.environ.get("CODEGAP_BENCH_MODEL", "qwen2.5-coder-0.5b")


def threads() -> int:
    """One thread count for every contender (fairness); see llama_engine.default_threads."""
    from codegap.models.llama_engine import default_threads

    return default_threads()


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    """(seconds, tokens) of one call of fn, which returns the tokens it generated."""
    t0 = time.perf_counter()
    n = fn()
    return time.perf_counter() - t0, n


def report(name: str, ours: float, theirs: float, target: str, unit: str = "") -> float:
    ratio = ours / theirs if theirs else float("nan")
    print(f"  ours   {ours:10.2f} {unit}")
    print(f"  theirs {theirs:10.2f} {unit}")
    print(f"RATIO {name} = {ratio:.3f}   (target {target})", flush=True)
    return ratio


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def spread(xs: list[float], unit: str = "s") -> str:
    """Median with the range, e.g. '5.12 s [5.05-5.40]' (a wide range: a noisy machine)."""
    return f"{statistics.median(xs):.2f} {unit} [{min(xs):.2f}-{max(xs):.2f}]"
