"""API-model run: 200 samples against a local OpenAI-compatible server answering after 200 ms.

Contenders, interleaved round by round (ABAB...) so a busy machine slows both alike:

- codegap: `codegap.models.run_eval` (inspect, response cache off) with
  `openai-api/bench/...` pointed at the stub server;
- bare client: a bare `openai.AsyncOpenAI` client sending the same 200
  requests at the same concurrency: what this machine and the stub server
  allow without any evaluation framework.

The stub server (tests/support/openai_server.py) runs in its own process, as a
real server would: in-process its threads would share the interpreter lock
with the client under test. It reports the peak number of requests it had in
flight, which must equal the requested concurrency.

Targets: codegap / bare client <= 1.1 at concurrency 8 and <= 1.3 at 32.
Also reported: wall / ideal (200 x 0.2 s / concurrency), and the per-eval
start-up cost that `codegap run`'s sequential batches pay: 20 evals of 10
samples against one eval of 200 (concurrency 10, where both have the same ideal).

Environment: BENCH_ROUNDS (default 5) rounds per contender.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time

from common import REPO, median, report, spread

sys.path.insert(0, str(REPO / "tests"))

SAMPLES = 200
LATENCY = 0.2
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TARGETS = {8: 1.1, 32: 1.3}
MODEL = "openai-api/bench/stub"


async def _bare(base_url: str, concurrency: int, prompts: list[str]) -> None:
    from openai import AsyncOpenAI

    sem = asyncio.Semaphore(concurrency)
    async with AsyncOpenAI(base_url=base_url, api_key="bench-not-a-key") as client:

        async def one(prompt: str) -> None:
            async with sem:
                await client.chat.completions.create(
                    model="stub", messages=[{"role": "user", "content": prompt}])

        await asyncio.gather(*[one(p) for p in prompts])


def bare_client(base_url: str, concurrency: int, n: int = SAMPLES) -> float:
    """Seconds for n chat completions with a fresh bare async openai client."""
    t0 = time.perf_counter()
    asyncio.run(_bare(base_url, concurrency, [f"What is {i} + 1?" for i in range(n)]))
    return time.perf_counter() - t0


def timed_cpu(fn, *args, **kw) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call: CPU is what a busy machine cannot hide."""
    c0 = time.process_time()
    wall = fn(*args, **kw)
    return wall, time.process_time() - c0


def make_task(n: int, offset: int = 0):
    from inspect_ai import Task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    return Task(dataset=[Sample(input=f"What is {i} + 1?", target=str(i + 1), id=i)
                         for i in range(offset, offset + n)],
                solver=generate(), scorer=match())


def codegap(log_dir: str, concurrency: int, batches: int = 1, samples: int = SAMPLES) -> float:
    """Seconds for `samples` samples through run_eval, in `batches` evals run one after another."""
    from codegap.models.engine import log_call_stats, run_eval

    size = samples // batches
    t0 = time.perf_counter()
    for b in range(batches):
        log = run_eval(make_task(size, b * size), MODEL, seed=0, log_dir=log_dir,
                       max_connections=concurrency, cache=False)
        assert log_call_stats(log).calls == size
    return time.perf_counter() - t0


def main() -> None:
    from support.openai_server import OpenAIStubProcess

    with tempfile.TemporaryDirectory() as tmp, OpenAIStubProcess("42", latency=LATENCY) as srv:
        os.environ["BENCH_BASE_URL"] = srv.base_url
        os.environ["BENCH_API_KEY"] = "bench-not-a-key"
        codegap(os.path.join(tmp, "warm"), 8, samples=2)  # imports, first-eval set-up
        bare_client(srv.base_url, 8, 2)
        print(f"{SAMPLES} samples, server latency {LATENCY} s, {ROUNDS} interleaved rounds, "
              f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
        rows = []
        for conc, target in TARGETS.items():
            ours, bare, cpu_ours, cpu_bare, peak_ours, peak_bare = [], [], [], [], [], []
            for r in range(ROUNDS):
                for name in (("codegap", "bare") if r % 2 == 0 else ("bare", "codegap")):
                    srv.reset()
                    if name == "codegap":
                        wall, cpu = timed_cpu(codegap, os.path.join(tmp, f"c{conc}"), conc)
                        ours.append(wall), cpu_ours.append(cpu), peak_ours.append(srv.max_in_flight)
                    else:
                        wall, cpu = timed_cpu(bare_client, srv.base_url, conc)
                        bare.append(wall), cpu_bare.append(cpu), peak_bare.append(srv.max_in_flight)
            ideal = SAMPLES * LATENCY / conc
            print(f"concurrency {conc}: ideal {ideal:.2f} s")
            print(f"  codegap      {spread(ours)}  = {median(ours) / ideal:.2f}x ideal, CPU {spread(cpu_ours)}, "
                  f"peak in flight {min(peak_ours)}-{max(peak_ours)}")
            print(f"  bare client  {spread(bare)}  = {median(bare) / ideal:.2f}x ideal, CPU {spread(cpu_bare)}, "
                  f"peak in flight {min(peak_bare)}-{max(peak_bare)}")
            ratios = sorted(o / b for o, b in zip(ours, bare))
            print(f"  paired ratios codegap / bare: {', '.join(f'{x:.2f}' for x in ratios)}")
            report(f"api_vs_bare_client_c{conc}", median(ours), median(bare), f"<= {target}", "s")
            report(f"api_cpu_vs_bare_client_c{conc}", median(cpu_ours), median(cpu_bare), "context", "s")
            report(f"api_peak_in_flight_c{conc}", min(peak_ours), conc, "= 1.0")
            rows.append((conc, median(ours), median(bare), ideal, min(peak_ours), max(peak_ours)))

        # batches: codegap run calls run_eval once per batch of instances. At
        # concurrency 10, one eval of 200 and 20 evals of 10 have the same ideal
        # (20 round trips); the extra wall time is per-eval set-up plus the
        # per-sample CPU that no longer overlaps other samples' waiting at each
        # batch's start and end; the extra CPU is the per-eval set-up alone.
        one, many = [], []
        for r in range(max(2, ROUNDS // 2)):
            for name in (("one", "many") if r % 2 == 0 else ("many", "one")):
                (one if name == "one" else many).append(timed_cpu(
                    codegap, os.path.join(tmp, "b"), 10, batches=1 if name == "one" else 20))
        wall_1, wall_20 = [w for w, _ in one], [w for w, _ in many]
        cpu_1, cpu_20 = [c for _, c in one], [c for _, c in many]
        print(f"concurrency 10 (ideal {SAMPLES * LATENCY / 10:.2f} s either way): 1 eval of {SAMPLES}: "
              f"{spread(wall_1)}, CPU {spread(cpu_1)}; 20 evals of {SAMPLES // 20}: {spread(wall_20)}, "
              f"CPU {spread(cpu_20)}; each extra eval: "
              f"{1000 * (median(wall_20) - median(wall_1)) / 19:.0f} ms wall, "
              f"{1000 * (median(cpu_20) - median(cpu_1)) / 19:.0f} ms CPU")
        report("api_20_evals_vs_1_eval_c10", median(wall_20), median(wall_1), "context", "s")

    print("\n| concurrency | codegap | bare client | ideal | codegap / bare | peak in flight |")
    print("|---|---|---|---|---|---|")
    for conc, o, b, ideal, lo, hi in rows:
        print(f"| {conc} | {o:.2f} s | {b:.2f} s | {ideal:.2f} s | {o / b:.2f} | "
              f"{lo if lo == hi else f'{lo}-{hi}'} |")


if __name__ == "__main__":
    main()
