"""n = 8 samples of one prompt (pass@k): batched provider vs llama.cpp multi-sequence vs sequential.

- ours, batched: 8 concurrent `generate` calls through inspect (different seeds,
  as 8 epochs would make); the provider decodes them as 8 sequences of one
  llama.cpp batch, sharing the prompt prefill.
- llama.cpp reference: the same job written directly against llama.cpp's
  low-level multi-sequence batch API (what llama.cpp's `batched` example and
  `llama-batched-bench` do; the pip wheel ships no llama.cpp binaries): one
  prompt prefill shared by 8 sequence ids, then one `llama_decode` per step
  with one token per live sequence, each sequence sampling with its own chain.
- ours, sequential: the same 8 calls one after another.

Throughput = generated tokens / wall time. Targets: ours/reference >= 0.9;
batched/sequential about 1.6-2x on 2 cores.
"""

from __future__ import annotations

import asyncio
import ctypes

from common import BENCH_MODEL, report, threads, timed

PROMPT = "Write a long, detailed Python tutorial on list comprehensions, with many examples."
N = 8
MAX_TOKENS = 64
ROUNDS = 2


def reference(path: str, n_threads: int):
    """llama.cpp multi-sequence generation, written directly on the C API."""
    import llama_cpp
    from llama_cpp import _internals as internals
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    from llama_cpp._utils import suppress_stdout_stderr

    model = internals.LlamaModel(path_model=path, params=llama_cpp.llama_model_default_params(), verbose=False)
    cp = llama_cpp.llama_context_default_params()
    cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max, cp.kv_unified = 2048 * N, 512, 512, N, True
    cp.n_threads = cp.n_threads_batch = n_threads
    with suppress_stdout_stderr(disable=False):
        ctx = internals.LlamaContext(model=model, params=cp, verbose=False)
    meta = model.metadata()
    fmt = Jinja2ChatFormatter(meta["tokenizer.chat_template"], model.token_get_text(model.token_eos()),
                              model.token_get_text(model.token_bos()) if model.token_bos() != -1 else "")
    prompt = model.tokenize(fmt(messages=[{"role": "user", "content": PROMPT}]).prompt.encode(),
                            add_bos=False, special=True)
    batch = llama_cpp.llama_batch_init(512, 0, N)
    mem = llama_cpp.llama_get_memory(ctx.ctx)

    def run(seed0: int) -> int:
        llama_cpp.llama_memory_clear(mem, True)
        batch.n_tokens = len(prompt)
        for i, tok in enumerate(prompt):
            batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = tok, i, N, False
            for s in range(N):
                batch.seq_id[i][s] = s
        batch.logits[len(prompt) - 1] = True
        assert llama_cpp.llama_decode(ctx.ctx, batch) == 0
        samplers = []
        for s in range(N):
            sm = internals.LlamaSampler()
            sm.add_top_k(40); sm.add_top_p(0.95, 1); sm.add_min_p(0.05, 1); sm.add_temp(0.8)
            sm.add_dist(seed0 + s)
            samplers.append(sm)
        idx = {s: len(prompt) - 1 for s in range(N)}
        live, pos, made = list(range(N)), len(prompt), 0
        for _ in range(MAX_TOKENS):
            nxt = {}
            for s in live:
                tok = samplers[s].sample(ctx, idx[s])
                if llama_cpp.llama_vocab_is_eog(model.vocab, tok):
                    continue
                nxt[s] = tok
                made += 1
            live = list(nxt)
            if not live or _ == MAX_TOKENS - 1:
                break
            batch.n_tokens = len(live)
            for j, s in enumerate(live):
                batch.token[j], batch.pos[j], batch.n_seq_id[j], batch.logits[j] = nxt[s], pos, 1, True
                batch.seq_id[j][0] = s
                idx[s] = j
            pos += 1
            assert llama_cpp.llama_decode(ctx.ctx, batch) == 0
        return made

    return run


def main() -> None:
    from inspect_ai.model import GenerateConfig, get_model

    import codegap.models  # noqa: F401  (registers local/)
    from codegap.models.weights import ensure_weights

    path = str(ensure_weights(BENCH_MODEL))
    t = threads()
    print(f"model {BENCH_MODEL}, threads {t}, n={N} samples of one prompt, max_tokens {MAX_TOKENS}, {ROUNDS} rounds")
    ref = reference(path, t)
    ours = get_model(f"local/{BENCH_MODEL}", n_parallel=N, n_threads=t)

    def cfg(seed: int) -> GenerateConfig:
        return GenerateConfig(temperature=0.8, max_tokens=MAX_TOKENS, seed=seed)

    def batched(seed0: int) -> int:
        async def go():
            outs = await asyncio.gather(*[ours.generate(PROMPT, config=cfg(seed0 + i)) for i in range(N)])
            return sum(o.usage.output_tokens for o in outs)
        return asyncio.run(go())

    def sequential(seed0: int) -> int:
        async def go():
            n = 0
            for i in range(N):
                n += (await ours.generate(PROMPT, config=cfg(seed0 + i))).usage.output_tokens
            return n
        return asyncio.run(go())

    ref(0), batched(0)  # warm-up
    totals = {"ref": [0.0, 0], "batched": [0.0, 0], "seq": [0.0, 0]}
    for r in range(ROUNDS):
        seed = 1000 * (r + 1)
        for name, fn in (("ref", ref), ("batched", batched), ("seq", sequential)):
            s, n = timed(lambda: fn(seed))
            totals[name][0] += s
            totals[name][1] += n
            print(f"  round {r + 1}: {name:8s} {n:4d} tok in {s:6.2f} s = {n / s:6.1f} tok/s", flush=True)
    tps = {k: v[1] / v[0] for k, v in totals.items()}
    report("batched_vs_llamacpp_multiseq_tok_per_s", tps["batched"], tps["ref"], ">= 0.9", "tok/s")
    report("batched_vs_sequential_tok_per_s", tps["batched"], tps["seq"], "~1.6-2x on 2 cores", "tok/s")


if __name__ == "__main__":
    main()
