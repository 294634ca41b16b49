"""Start-up cost of the sandbox: runs per second of small programs, kernel sandbox vs audit-hook sandbox.

Experiments run hundreds of model-written programs (every hidden-test batch of
the verification-gap and RL-sharpening checks, every code reply of the
iterative-execution check), so the cost per run matters. Measured:

- ours: `codegap.sandbox.run_python` as it is now (bubblewrap: mount, PID,
  network, IPC and UTS namespaces, private tmpfs, uid drop);
- reference: the audit-hook sandbox it replaced (`unshare --net --pid` + uid
  drop, host temporary directory), loaded from git revision AUDIT_HOOK_REV;
- floor: the same interpreter started directly (`python -I -S -c`), no sandbox at all.

Two workloads: a trivial program, and a typical grading program (reads stdin,
runs a function over a few hundred inputs). Contenders are interleaved round by
round. Each is timed sequentially and with 2 concurrent threads (tasks grade
through `asyncio.to_thread`). Targets (2 cores): ours >= 10 runs/s sequential
(trivial program), and ours/reference >= 0.8 (the kernel sandbox may not cost much more per run).

Run: `.venv/bin/python benchmarks/bench_sandbox.py [--rounds 3] [--runs 20] [--against REV]`.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Callable

from common import REPO, median, report

#: The last revision whose sandbox was the audit-hook one.
AUDIT_HOOK_REV = "e612a89"

TRIVIAL = "print(1)"
GRADING = (
    "import sys\n"
    "def solve(a, b):\n"
    "    return sorted(set(range(a, b)))[:3]\n"
    "ok = 0\n"
    "for line in sys.stdin.read().splitlines():\n"
    "    a, b = map(int, line.split())\n"
    "    ok += solve(a, b) == list(range(a, min(b, a + 3)))\n"
    "print(ok)\n"
)
GRADING_STDIN = "\n".join(f"{i} {i + 50}" for i in range(300))


def load_reference(rev: str) -> ModuleType | None:
    """The sandbox module as it was at `rev` (None when git or the revision is unavailable)."""
    try:
        text = subprocess.run(["git", "show", f"{rev}:codegap/sandbox.py"], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp(prefix="bench-sandbox-")) / "sandbox_reference.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("sandbox_reference", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["sandbox_reference"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def floor_runner(code: str, stdin: str) -> bool:
    """The sandbox's own interpreter and flags, started directly."""
    from codegap import sandbox

    res = subprocess.run([sandbox._plan().python, "-I", "-S", "-c", code], input=stdin,
                         capture_output=True, text=True)
    return res.returncode == 0


def rate(run: Callable[[str, str], bool], code: str, stdin: str, runs: int, threads: int) -> float:
    """Runs per second of `runs` programs, `threads` at a time."""
    t0 = time.perf_counter()
    if threads == 1:
        results = [run(code, stdin) for _ in range(runs)]
    else:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(lambda _: run(code, stdin), range(runs)))
    elapsed = time.perf_counter() - t0
    if not all(results):
        raise SystemExit("a benchmark run failed; check the sandbox with `python -m codegap.sandbox`")
    return runs / elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20, help="programs per contender per round")
    ap.add_argument("--against", default=AUDIT_HOOK_REV, help="git revision of the reference sandbox")
    args = ap.parse_args()

    from codegap import sandbox

    print(f"ours: {sandbox.isolation()}")
    contenders: dict[str, Callable[[str, str], bool]] = {
        "ours": lambda c, s: sandbox.run_python(c, stdin=s).ok,
        "floor": floor_runner,
    }
    ref = load_reference(args.against)
    if ref is not None:
        print(f"reference ({args.against}): {ref.isolation()}")
        contenders["reference"] = lambda c, s: ref.run_python(c, stdin=s).ok
    else:
        print(f"reference: revision {args.against} not available; reporting absolute rates only")
    for fn in contenders.values():  # warm-up: probes, page cache
        fn(TRIVIAL, "")

    ok = True
    for label, code, stdin in (("trivial", TRIVIAL, ""), ("grading", GRADING, GRADING_STDIN)):
        for threads in (1, 2):
            got: dict[str, list[float]] = {name: [] for name in contenders}
            for _ in range(args.rounds):
                for name, fn in contenders.items():
                    got[name].append(rate(fn, code, stdin, args.runs, threads))
            med = {name: median(v) for name, v in got.items()}
            print(f"\n{label} program, {threads} thread(s): runs/s  " +
                  "  ".join(f"{n} {v:.1f}" for n, v in med.items()))
            if "reference" in med:
                ratio = report(f"sandbox_{label}_{threads}t", med["ours"], med["reference"],
                               ">= 0.8", unit="runs/s")
                ok &= ratio >= 0.8
            if threads == 1 and label == "trivial":
                ok &= med["ours"] >= 10
                print(f"  ours {1000 / med['ours']:.0f} ms/run, floor {1000 / med['floor']:.0f} ms/run "
                      f"(sandbox overhead {1000 / med['ours'] - 1000 / med['floor']:.0f} ms); target >= 10 runs/s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
