"""Runs inside the sandbox: visible tests, then CPU time of the reference and of the solution at growing sizes.

This file is sent as the program to `codegap.sandbox.run_python` (it imports
only the standard library) with a JSON payload on stdin; the host imports it
only for `encode` and `digest`, so both sides encode values the same way.

Protocol, in one process:
1. the reference is loaded and timed at every size first, before the model's
   code exists in the process (so nothing it does can touch those timings);
2. the model's code is loaded (two-second alarm) and run on the visible tests
   (one-second alarm each); the values go back to the host, which decides;
3. only if every visible test passes: at each size, smallest first, the
   solution runs on a fresh copy of the input under a CPU-time cap
   (`ITIMER_PROF`), and its output digest and CPU seconds are reported. The cap
   at each size is the larger of the payload's cap and 4 x factor x the
   reference's time, so a timeout always proves a slowdown beyond the factor.
   The first timeout, exception or wrong digest ends the run.

Timing: `time.thread_time()`, the CPU time of the thread that runs the call
(not wall time, so other processes on a loaded machine slow it far less).
Not `process_time()`: the sandbox sets RLIMIT_CPU, and while a process-wide
CPU timer is armed Linux answers CLOCK_PROCESS_CPUTIME_ID from its tick-sampled
accumulator, so calls under ~4 ms read as 0 (measured: 44 distinct values in
300,000 reads, against 300,000 for the thread clock). With the garbage
collector off during a call (as `timeit` does), the minimum of up to three
repetitions for calls under 50 ms. One line is printed per step, each behind a
random marker, so a run killed by a limit still reports how far it got.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import json
import signal
import sys
import time

REPEAT_BELOW_S = 0.05
REPEATS = 3


class _Timeout(BaseException):
    pass


def encode(value, depth=0):
    """A JSON-safe form of a returned value (tuples as lists); TypeError for anything else."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, (list, tuple)) and depth < 20:
        return [encode(v, depth + 1) for v in value]
    raise TypeError("returned a value of type " + type(value).__name__)


def digest(value):
    """SHA-256 of the encoded value: large outputs are compared by digest."""
    return hashlib.sha256(json.dumps(encode(value), separators=(",", ":")).encode()).hexdigest()


def _why(exc):
    return (type(exc).__name__ + ": " + str(exc))[:200]


def _on_signal(signum, frame):
    raise _Timeout()


def _timed(fn, args, cap):
    """(value, CPU seconds) of fn(*copy of args), or raise _Timeout past `cap` CPU seconds."""
    clock = time.thread_time
    fresh = copy.deepcopy(args)
    gc.disable()
    signal.setitimer(signal.ITIMER_PROF, cap)
    try:
        start = clock()
        value = fn(*fresh)
        spent = clock() - start
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        gc.enable()
    return value, spent


def _best(fn, args, cap):
    value, spent = _timed(fn, args, cap)
    if spent < REPEAT_BELOW_S:
        for _ in range(REPEATS - 1):
            spent = min(spent, _timed(fn, args, cap)[1])
    return value, spent


def main():
    payload = json.loads(sys.stdin.read())
    real = sys.stdout
    mark = payload["mark"]

    def emit(obj):
        real.write("\n" + mark + json.dumps(obj) + "\n")
        real.flush()

    signal.signal(signal.SIGPROF, _on_signal)
    signal.signal(signal.SIGALRM, _on_signal)
    name = payload["func"]
    ref_ns = {"__name__": "reference"}
    exec(compile(payload["reference"], "reference.py", "exec"), ref_ns)
    ref = ref_ns[name]
    ref_times = []
    for n, args in payload["sizes"]:
        _, spent = _best(ref, args, 60.0)
        ref_times.append(spent)
    emit({"reference": ref_times})

    sys.stdout = type("Sink", (), {"write": lambda self, t: len(t), "flush": lambda self: None})()
    ns = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        signal.setitimer(signal.ITIMER_REAL, 2.0)
        try:
            exec(compile(payload["source"], "solution.py", "exec"), ns)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        fn = ns[name]
    except BaseException as exc:  # noqa: BLE001 - any failure to load is reported, not raised
        emit({"load": "timed out while loading" if isinstance(exc, _Timeout) else _why(exc)})
        return
    visible = []
    all_pass = True
    for args, expected in payload["visible"]:
        try:
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            try:
                value = fn(*copy.deepcopy(args))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            got = ["value", encode(value)]
        except _Timeout:
            got = ["timeout", ""]
        except BaseException as exc:  # noqa: BLE001
            got = ["error", _why(exc)]
        all_pass = all_pass and got[0] == "value" and got[1] == expected
        visible.append(got)
    emit({"visible": visible})
    if not all_pass:
        return
    for (n, args), expected, t_ref in zip(payload["sizes"], payload["digests"], ref_times):
        cap = max(payload["cap"], 4 * payload["factor"] * t_ref)
        try:
            value, spent = _best(fn, args, cap)
        except _Timeout:
            emit({"size": n, "status": "timeout", "cap": cap})
            return
        except MemoryError:
            emit({"size": n, "status": "memory"})
            return
        except BaseException as exc:  # noqa: BLE001
            emit({"size": n, "status": "error", "why": _why(exc)})
            return
        try:
            got = digest(value)
        except TypeError as exc:
            emit({"size": n, "status": "error", "why": _why(exc)})
            return
        ok = got == expected
        emit({"size": n, "status": "ok" if ok else "wrong", "seconds": spent, "digest": got})
        if not ok:
            return


if __name__ == "__main__":
    main()
