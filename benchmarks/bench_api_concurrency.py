"""API-model run: 200 samples against a local OpenAI-compatible server answering after 200 ms.

Contenders, interleaved round by round (the order rotates every round) so a
busy machine slows all alike:

- direct: what `codegap run` does for an API model by default, one batch of a
  single-turn check through `collect` (the direct path, `codegap.models.direct`):
  requests, response cache writes (a fresh cache each round), the batch log,
  rows and grading;
- inspect: the same batch with `CODEGAP_ENGINE=inspect` (inspect's eval on the
  shared engine loop, its response cache, its .eval log);
- bare client: a bare `openai.AsyncOpenAI` client sending the same 200
  requests at the same concurrency: what this machine and the stub server
  allow without any evaluation framework.

The stub server (tests/support/openai_server.py) runs in its own process, as a
real server would: in-process its threads would share the interpreter lock
with the client under test. It reports the peak number of requests it had in
flight, which must equal the requested concurrency.

Targets: direct / bare client <= 1.1 at concurrency 8 and <= 1.3 at 32.
Also reported: wall / ideal (200 x 0.2 s / concurrency), CPU seconds of this
process (what load cannot hide), the per-batch cost that `codegap run`'s
sequential batches pay (20 batches of 10 against one of 200, concurrency 10,
where both have the same ideal), and a rerun of the batch from the response
cache (no calls, identical rows).

Environment: BENCH_ROUNDS (default 5) rounds per contender.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from common import REPO, median, report, spread

sys.path.insert(0, str(REPO / "tests"))

from codegap.experiments.base import Graded, LiveCheck, Request  # noqa: E402

SAMPLES = 200
LATENCY = 0.2
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TARGETS = {8: 1.1, 32: 1.3}
MODEL = "openai-api/bench/stub"


@dataclass
class Question:
    id: str
    unit: int


class BenchCheck(LiveCheck):
    """A single-turn check with a trivial grade: what is left is the cost of asking."""

    claim_id = "bench-api"
    arms = ("plain",)

    def unit(self, index: int, seed: int, params: dict[str, Any]) -> list[Question]:
        return [Question(f"q{index}", index)]

    def requests(self, inst: Question, params: dict[str, Any]) -> list[Request]:
        return [Request(arm="plain", prompt=f"What is {inst.unit} + 1?", max_tokens=16)]

    def grade(self, inst: Question, req: Request, reply: str, round: int, history: Any = ()) -> Graded:
        return Graded(correct=reply.strip() == "42", unparseable=False, value=reply)


CHECK = BenchCheck()


def questions(n: int, offset: int = 0) -> list[Question]:
    return [q for i in range(offset, offset + n) for q in CHECK.unit(i, 0, {})]


def collect(engine: str, tmp: str, concurrency: int, batches: int = 1, samples: int = SAMPLES,
            cache_dir: str | None = None) -> tuple[float, list]:
    """(seconds, rows) for `samples` questions through collect on `engine`, in `batches` batches.

    A fresh response cache unless `cache_dir` is given (a rerun from that cache).
    """
    from codegap.experiments.collect import RunContext, collect_inspect

    cache = cache_dir or tempfile.mkdtemp(dir=tmp, prefix="cache-")
    os.environ["CODEGAP_ENGINE"] = engine
    os.environ["INSPECT_CACHE_DIR"] = cache
    ctx = RunContext(model=MODEL, seed=0, log_dir=os.path.join(tmp, "logs"), max_connections=concurrency)
    size = samples // batches
    rows = []
    t0 = time.perf_counter()
    for b in range(batches):
        rows += collect_inspect(CHECK, questions(size, b * size), {}, ctx)
    wall = time.perf_counter() - t0
    assert len(rows) == samples and all(r.correct for r in rows)
    return wall, rows


async def _bare(base_url: str, concurrency: int, prompts: list[str]) -> None:
    from openai import AsyncOpenAI

    sem = asyncio.Semaphore(concurrency)
    async with AsyncOpenAI(base_url=base_url, api_key="bench-not-a-key") as client:

        async def one(prompt: str) -> None:
            async with sem:
                await client.chat.completions.create(
                    model="stub", messages=[{"role": "user", "content": prompt}], max_tokens=16)

        await asyncio.gather(*[one(p) for p in prompts])


def bare_client(base_url: str, concurrency: int, n: int = SAMPLES) -> float:
    """Seconds for n chat completions with a fresh bare async openai client."""
    t0 = time.perf_counter()
    asyncio.run(_bare(base_url, concurrency, [f"What is {i} + 1?" for i in range(n)]))
    return time.perf_counter() - t0


def timed_cpu(fn, *args, **kw) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call: CPU is what a busy machine cannot hide."""
    c0 = time.process_time()
    out = fn(*args, **kw)
    wall = out[0] if isinstance(out, tuple) else out
    return wall, time.process_time() - c0


def make_task(n: int, offset: int = 0):
    """An inspect task of n single-turn samples (for profiling inspect's engine alone: profile_api.py)."""
    from inspect_ai import Task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    return Task(dataset=[Sample(input=f"What is {i} + 1?", target=str(i + 1), id=i)
                         for i in range(offset, offset + n)],
                solver=generate(), scorer=match())


def comparable(rows: list) -> list[dict[str, Any]]:
    return [{k: v for k, v in dataclasses.asdict(r).items() if k not in ("seconds", "cached")} for r in rows]


def main() -> None:
    from support.openai_server import OpenAIStubProcess

    names = ("direct", "inspect", "bare")
    with tempfile.TemporaryDirectory() as tmp, OpenAIStubProcess("42", latency=LATENCY) as srv:
        os.environ["BENCH_BASE_URL"] = srv.base_url
        os.environ["BENCH_API_KEY"] = "bench-not-a-key"
        for engine in ("direct", "inspect"):  # imports, first-batch set-up
            collect(engine, tmp, 8, samples=2)
        bare_client(srv.base_url, 8, 2)
        print(f"{SAMPLES} samples, server latency {LATENCY} s, {ROUNDS} interleaved rounds, "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
        table = []
        for conc, target in TARGETS.items():
            wall: dict[str, list[float]] = {n: [] for n in names}
            cpu: dict[str, list[float]] = {n: [] for n in names}
            peak: dict[str, list[int]] = {n: [] for n in names}
            load0 = os.getloadavg()[0]
            for r in range(ROUNDS):
                for name in names[r % 3:] + names[:r % 3]:
                    srv.reset()
                    if name == "bare":
                        w, c = timed_cpu(bare_client, srv.base_url, conc)
                    else:
                        w, c = timed_cpu(collect, name, tmp, conc)
                    wall[name].append(w), cpu[name].append(c), peak[name].append(srv.max_in_flight)
            ideal = SAMPLES * LATENCY / conc
            print(f"concurrency {conc}: ideal {ideal:.2f} s, load average {load0:.1f} -> {os.getloadavg()[0]:.1f}")
            for name in names:
                print(f"  {name:8s} {spread(wall[name])} = {median(wall[name]) / ideal:.2f}x ideal, "
                      f"CPU {spread(cpu[name])} ({1000 * median(cpu[name]) / SAMPLES:.1f} ms/sample), "
                      f"peak in flight {min(peak[name])}-{max(peak[name])}")
            for name in ("direct", "inspect"):
                ratios = sorted(o / b for o, b in zip(wall[name], wall["bare"]))
                print(f"  paired ratios {name} / bare: {', '.join(f'{x:.2f}' for x in ratios)}")
            report(f"api_direct_vs_bare_client_c{conc}", median(wall["direct"]), median(wall["bare"]),
                   f"<= {target}", "s")
            report(f"api_inspect_vs_bare_client_c{conc}", median(wall["inspect"]), median(wall["bare"]),
                   "context", "s")
            report(f"api_direct_cpu_vs_bare_client_c{conc}", median(cpu["direct"]), median(cpu["bare"]),
                   "context", "s")
            report(f"api_direct_peak_in_flight_c{conc}", min(peak["direct"]), conc, "= 1.0")
            table.append((conc, ideal, wall, cpu, peak))

        # batches: codegap run calls collect once per batch of units. At
        # concurrency 10, one batch of 200 and 20 batches of 10 have the same
        # ideal (20 round trips); the difference is the per-batch cost.
        batch_rows = []
        for engine in ("direct", "inspect"):
            one, many = [], []
            for r in range(max(2, ROUNDS // 2)):
                for name in (("one", "many") if r % 2 == 0 else ("many", "one")):
                    (one if name == "one" else many).append(
                        timed_cpu(collect, engine, tmp, 10, batches=1 if name == "one" else 20))
            w1, w20 = [w for w, _ in one], [w for w, _ in many]
            c1, c20 = [c for _, c in one], [c for _, c in many]
            extra_wall = 1000 * (median(w20) - median(w1)) / 19
            extra_cpu = 1000 * (median(c20) - median(c1)) / 19
            print(f"{engine}, concurrency 10 (ideal {SAMPLES * LATENCY / 10:.2f} s either way): 1 batch of "
                  f"{SAMPLES}: {spread(w1)}, CPU {spread(c1)}; 20 batches of {SAMPLES // 20}: {spread(w20)}, "
                  f"CPU {spread(c20)}; each extra batch: {extra_wall:.0f} ms wall, {extra_cpu:.0f} ms CPU")
            report(f"api_{engine}_20_batches_vs_1_batch_c10", median(w20), median(w1), "context", "s")
            batch_rows.append((engine, median(w1), median(w20), extra_wall, extra_cpu))

        # a rerun from the response cache: no calls, the same rows
        cache = tempfile.mkdtemp(dir=tmp, prefix="rerun-")
        srv.reset()
        _, first = collect("direct", tmp, 16, cache_dir=cache)
        calls_first = srv.call_count
        srv.reset()
        t_rerun, again = collect("direct", tmp, 16, cache_dir=cache)
        same = comparable(again) == comparable(first)
        print(f"rerun from the cache: {srv.call_count} calls (first run {calls_first}), {t_rerun:.2f} s, "
              f"all rows cached: {all(r.cached for r in again)}, rows identical: {same}")
        assert srv.call_count == 0 and same

    print(f"\nload average at the end {os.getloadavg()[0]:.1f}\n")
    print("| concurrency | direct | inspect | bare client | ideal | direct / bare | inspect / bare "
          "| CPU ms/sample direct / inspect / bare | peak in flight |")
    print("|---|---|---|---|---|---|---|---|---|")
    for conc, ideal, wall, cpu, peak in table:
        m = {n: median(wall[n]) for n in names}
        cms = " / ".join(f"{1000 * median(cpu[n]) / SAMPLES:.1f}" for n in names)
        peaks = sorted({p for n in names for p in peak[n]})
        print(f"| {conc} | {spread(wall['direct'])} | {spread(wall['inspect'])} | {spread(wall['bare'])} | "
              f"{ideal:.2f} s | {m['direct'] / m['bare']:.2f} | {m['inspect'] / m['bare']:.2f} | {cms} | "
              f"{'-'.join(map(str, peaks))} |")
    print("\n| engine | 1 batch of 200 | 20 batches of 10 | per extra batch (wall / CPU) |")
    print("|---|---|---|---|")
    for engine, w1, w20, ew, ec in batch_rows:
        print(f"| {engine} | {w1:.2f} s | {w20:.2f} s | {ew:.0f} ms / {ec:.0f} ms |")


if __name__ == "__main__":
    main()
