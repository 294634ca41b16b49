"""Local provider decode speed vs raw `llama_cpp.Llama` on the same prompts.

Ours: the `local/...` inspect provider, called through inspect's Model.generate
(cache off, one request at a time). Theirs: `llama_cpp.Llama.create_chat_completion`.
Both greedy (temperature 0), same GGUF, same thread count, same max_tokens;
rounds alternate between the two. Throughput = completion tokens / wall time
(prompt processing included for both). Target: ratio >= 0.9.
"""

from __future__ import annotations

import asyncio

from common import BENCH_MODEL, median, report, threads, timed

PROMPTS = [
    "Write a Python function that returns the n-th Fibonacci number iteratively.",
    "Write a Python function that checks whether a string is a palindrome.",
    "Explain in two sentences what a hash map is.",
    "Write a Python function that merges two sorted lists into one sorted list.",
]
MAX_TOKENS = 96
ROUNDS = 4


def main() -> None:
    import llama_cpp
    from inspect_ai.model import GenerateConfig, get_model

    from codegap.models.weights import ensure_weights

    path = ensure_weights(BENCH_MODEL)
    t = threads()
    print(f"model {BENCH_MODEL}, threads {t}, {len(PROMPTS)} prompts x {ROUNDS} rounds, max_tokens {MAX_TOKENS}")
    raw = llama_cpp.Llama(str(path), n_ctx=2048, n_threads=t, n_threads_batch=t, verbose=False)
    ours = get_model(f"local/{BENCH_MODEL}", n_threads=t)
    cfg = GenerateConfig(temperature=0.0, max_tokens=MAX_TOKENS, seed=0)

    def run_raw(p: str) -> int:
        out = raw.create_chat_completion([{"role": "user", "content": p}], temperature=0.0,
                                         max_tokens=MAX_TOKENS, seed=0)
        return out["usage"]["completion_tokens"]

    def run_ours(p: str) -> int:
        async def go() -> int:
            return (await ours.generate(p, config=cfg)).usage.output_tokens
        return asyncio.run(go())

    for p in PROMPTS[:1]:
        run_raw(p), run_ours(p)  # warm-up: load, page in weights
    # Paired design: each prompt runs raw then ours (or ours then raw, alternating),
    # so a change in machine load hits both members of a pair alike.
    tr = to = 0.0
    nr = no = 0
    pair_ratios = []
    for r in range(ROUNDS):
        for i, p in enumerate(PROMPTS):
            order = (("raw", run_raw), ("ours", run_ours))
            if (r + i) % 2:
                order = order[::-1]
            got = {}
            for name, fn in order:
                got[name] = timed(lambda: fn(p))
            (sr, n_r), (so, n_o) = got["raw"], got["ours"]
            tr += sr; nr += n_r; to += so; no += n_o
            pair_ratios.append((n_o / so) / (n_r / sr))
        print(f"  round {r + 1}: raw {nr / tr:6.1f} tok/s   ours {no / to:6.1f} tok/s (cumulative)", flush=True)
    print(f"  median of {len(pair_ratios)} paired ratios: {median(pair_ratios):.3f}")
    report("local_vs_raw_llama_tok_per_s", no / to, nr / tr, ">= 0.9", "tok/s")


if __name__ == "__main__":
    main()
