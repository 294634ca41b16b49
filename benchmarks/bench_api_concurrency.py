"""API-model run: 200 samples against a local OpenAI-compatible server answering after 200 ms.

Runs `codegap.models.run_eval` (inspect, cache off) with `openai-api/bench/...`
pointed at tests/support/openai_server.py, at concurrency 8 and 32, and
compares the eval's wall time with the ideal 200 x 0.2 s / concurrency.
Target: <= 1.3x the ideal at concurrency 8; concurrency 32 is reported.

For context it also times a bare `openai.AsyncOpenAI` client sending the same
200 requests at the same concurrency: what this machine and the stub server
allow without any evaluation framework.
"""

from __future__ import annotations

import os
import tempfile
import time

from common import REPO, report

import sys

sys.path.insert(0, str(REPO / "tests"))

SAMPLES = 200
LATENCY = 0.2


async def bare_client(base_url: str, concurrency: int) -> float:
    """Seconds for 200 chat completions with a bare async openai client."""
    import asyncio

    from openai import AsyncOpenAI

    sem = asyncio.Semaphore(concurrency)
    async with AsyncOpenAI(base_url=base_url, api_key="bench-not-a-key") as client:

        async def one(i: int) -> None:
            async with sem:
                await client.chat.completions.create(
                    model="stub", messages=[{"role": "user", "content": f"What is {i} + 1?"}])

        await one(-1)  # warm-up
        t0 = time.perf_counter()
        await asyncio.gather(*[one(i) for i in range(SAMPLES)])
        return time.perf_counter() - t0


def main() -> None:
    import asyncio

    from inspect_ai import Task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    from codegap.models.engine import log_call_stats, run_eval
    from support.openai_server import OpenAIStub

    task = Task(dataset=[Sample(input=f"What is {i} + 1?", target=str(i + 1)) for i in range(SAMPLES)],
                solver=generate(), scorer=match())
    with tempfile.TemporaryDirectory() as tmp, OpenAIStub(answer=lambda m: "42", latency=LATENCY) as srv:
        os.environ["BENCH_BASE_URL"] = srv.base_url
        os.environ["BENCH_API_KEY"] = "bench-not-a-key"
        os.environ["INSPECT_CACHE_DIR"] = os.path.join(tmp, "cache")
        # warm-up: imports, client construction
        run_eval(Task(dataset=[Sample(input="hi", target="x")], solver=generate(), scorer=match()),
                 "openai-api/bench/stub", seed=0, log_dir=os.path.join(tmp, "warm"), cache=False)
        for conc, target in ((8, "<= 1.3"), (32, "report")):
            srv.reset()
            t0 = time.perf_counter()
            log = run_eval(task, "openai-api/bench/stub", seed=0, log_dir=os.path.join(tmp, f"c{conc}"),
                           max_connections=conc, cache=False)
            wall = time.perf_counter() - t0
            ideal = SAMPLES * LATENCY / conc
            assert log_call_stats(log).calls == SAMPLES == srv.call_count
            print(f"concurrency {conc}: {SAMPLES} samples in {wall:.2f} s, ideal {ideal:.2f} s, "
                  f"max in flight at server {srv.max_in_flight}")
            report(f"api_wall_vs_ideal_c{conc}", wall, ideal, target, "s")
            bare = asyncio.run(bare_client(srv.base_url, conc))
            print(f"  bare openai client, same concurrency: {bare:.2f} s = {bare / ideal:.2f}x ideal")
            report(f"api_wall_vs_bare_client_c{conc}", wall, bare, "context", "s")


if __name__ == "__main__":
    main()
