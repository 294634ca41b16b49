"""In-process GGUF generation with llama-cpp-python, batching concurrent requests.

Why not `llama_cpp.Llama.create_chat_completion`: one `Llama` object runs one
sequence at a time and is not thread-safe, so pass@k (n samples of a prompt)
would be n sequential generations. On a CPU, decoding is bound by reading the
weights once per step, so decoding n sequences in one `llama_decode` batch costs
little more than decoding one. This module therefore drives llama.cpp's
low-level multi-sequence API (the one `llama-batched-bench` uses):

- one worker thread per loaded model owns the llama context: every call into
  llama.cpp happens on that thread, which is what makes concurrent callers safe
  (the "lock per model"); callers submit requests and wait on a future;
- continuous batching: up to `n_parallel` sequences decode together, a finished
  sequence frees its slot and a waiting request takes it at the next step;
- requests that arrive together with the same prompt share one prompt prefill
  (their prompt tokens carry all their sequence ids, as in llama.cpp's
  `batched` example), then sample independently with their own seeds;
- when the worker is idle the whole KV memory is cleared before the next
  request, so a request that runs alone is exactly reproducible from its seed;
- a request may carry a GBNF grammar (structured output: the local provider
  turns a JSON schema into one); its sampler chain then starts with
  llama.cpp's grammar sampler, per sequence, so constrained and free requests
  share a batch (and a prompt prefill). A grammar llama.cpp cannot parse fails
  that request alone, never the others in the batch.

A request that shares a decode batch with others can differ in the last bits of
its logits from the same request run alone (different matrix kernels for
different batch sizes), so only runs with the same batching are bit-identical;
inspect's response cache is what makes reruns identical.

The prompt is built from the chat template stored in the GGUF
(`tokenizer.chat_template`), rendered with llama-cpp-python's Jinja2 formatter.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import logging

import llama_cpp
from llama_cpp import _internals as internals
from llama_cpp.llama_chat_format import Jinja2ChatFormatter


def default_threads() -> int:
    """Threads for llama.cpp: $CODEGAP_LLAMA_THREADS, else the cores not already busy.

    Why not simply all cores: ggml's threads wait for each other at every layer
    by spinning, so on a machine whose cores are taken by other work, two
    threads can be several times slower than one. Thread count does not change
    the numbers computed, only the speed.
    """
    env = os.environ.get("CODEGAP_LLAMA_THREADS")
    if env:
        return max(1, int(env))
    cores = os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0] + 0.5)
    except OSError:
        busy = 0
    return max(1, min(cores, cores - busy + 1))


@dataclass
class Sampling:
    """Sampling settings of one request (llama.cpp's defaults where unset)."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    seed: int = 0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    #: GBNF grammar the output must match (llama.cpp syntax, start rule `root`), or None
    grammar: str | None = None


class GrammarError(ValueError):
    """llama.cpp could not parse a request's grammar; that request fails, the batch goes on."""


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    stop_reason: str  # "stop" | "max_tokens" | "model_length" (context filled while generating) | "prompt_too_long"
    seconds: float


@dataclass
class _Request:
    prompt: list[int]
    sampling: Sampling
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)
    submitted: float = field(default_factory=time.perf_counter)


@dataclass
class _Seq:
    """A request being decoded in slot `slot` of the context."""

    req: _Request
    slot: int
    sampler: internals.LlamaSampler
    pos: int  # next position to write
    last: int = -1  # last sampled token, fed at the next step
    out: list[int] = field(default_factory=list)
    text: bytearray = field(default_factory=bytearray)
    done: str | None = None


def _sampler(s: Sampling, vocab: Any) -> internals.LlamaSampler:
    """The sampler chain of one request: [grammar,] then greedy, or top-k/top-p/min-p/temperature/dist.

    The grammar comes first so that every later stage only sees tokens the
    grammar allows (llama.cpp's own order); `llama_sampler_sample` then also
    advances the grammar with the chosen token.
    """
    smp = internals.LlamaSampler()
    if s.grammar:
        g = llama_cpp.llama_sampler_init_grammar(vocab, s.grammar.encode("utf-8"), b"root")
        if not g:
            smp.close()
            raise GrammarError("llama.cpp could not parse the request's grammar "
                               "(CODEGAP_LLAMA_VERBOSE=1 shows its parser's message)")
        llama_cpp.llama_sampler_chain_add(smp.sampler, g)
    if s.temperature <= 0:
        smp.add_greedy()
    else:
        smp.add_top_k(s.top_k)
        smp.add_top_p(s.top_p, 1)
        smp.add_min_p(s.min_p, 1)
        smp.add_temp(s.temperature)
        smp.add_dist(s.seed & 0xFFFFFFFF)
    return smp


class LlamaEngine:
    """One GGUF loaded once, served by a worker thread (see module doc)."""

    def __init__(self, path: str | Path, *, n_parallel: int = 8, n_ctx_per_seq: int = 4096,
                 n_threads: int | None = None, n_batch: int = 512) -> None:
        self.path = str(path)
        self.n_parallel = max(1, int(n_parallel))
        self.n_ctx_per_seq = int(n_ctx_per_seq)
        self.n_batch = int(n_batch)
        threads = n_threads or default_threads()
        # llama.cpp logs every tensor at load time through this logger; keep
        # terminals and notebooks quiet unless asked (CODEGAP_LLAMA_VERBOSE=1).
        if not os.environ.get("CODEGAP_LLAMA_VERBOSE"):
            logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        mparams = llama_cpp.llama_model_default_params()
        self.model = internals.LlamaModel(path_model=self.path, params=mparams, verbose=False)
        # In a unified KV cache one sequence may use the whole context, so the
        # per-sequence limit is also capped by what the model was trained on.
        self.n_ctx_per_seq = min(self.n_ctx_per_seq, self.model.n_ctx_train())
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = self.n_ctx_per_seq * self.n_parallel
        cparams.n_batch = self.n_batch
        cparams.n_ubatch = self.n_batch
        cparams.n_seq_max = self.n_parallel
        cparams.kv_unified = True  # shared prompt cells across sequences
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        cparams.no_perf = True
        from llama_cpp._utils import suppress_stdout_stderr

        with suppress_stdout_stderr(disable=bool(os.environ.get("CODEGAP_LLAMA_VERBOSE"))):
            self.ctx = internals.LlamaContext(model=self.model, params=cparams, verbose=False)
        self.memory = llama_cpp.llama_get_memory(self.ctx.ctx)
        self.batch = llama_cpp.llama_batch_init(
            max(self.n_batch, self.n_parallel), 0, self.n_parallel
        )
        self.formatter = self._formatter()
        self._queue: queue.Queue[_Request] = queue.Queue()
        self.lock = threading.Lock()  # held by the worker around every llama.cpp call
        self.decode_calls = 0
        self._worker = threading.Thread(target=self._run, name=f"llama:{Path(self.path).name}",
                                        daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ prompt
    def _formatter(self) -> Jinja2ChatFormatter:
        meta = self.model.metadata()
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{self.path}: GGUF has no tokenizer.chat_template; cannot chat")
        eos, bos = self.model.token_eos(), self.model.token_bos()
        return Jinja2ChatFormatter(
            template=template,
            eos_token=self.model.token_get_text(eos) if eos != -1 else "",
            bos_token=self.model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )

    def tokenize_chat(self, messages: list[dict[str, Any]]) -> list[int]:
        """Render messages with the GGUF's template and tokenize (as llama-cpp-python does)."""
        rendered = self.formatter(messages=messages)
        return self.model.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special,
                                   special=True)

    # --------------------------------------------------------------- interface
    def submit(self, prompt: list[int], sampling: Sampling) -> concurrent.futures.Future:
        """Queue one generation; the future resolves to a Completion."""
        if len(prompt) + 1 > self.n_ctx_per_seq:
            # The conversation has outgrown the context: that is this request's answer (nothing
            # could be generated), as an API server's context_length_exceeded is, not a failure
            # of the whole evaluation (one long multi-round sample used to sink every other one).
            fut: concurrent.futures.Future = concurrent.futures.Future()
            fut.set_result(Completion(text="", prompt_tokens=len(prompt), completion_tokens=0,
                                      stop_reason="prompt_too_long", seconds=0.0))
            return fut
        req = _Request(prompt=list(prompt), sampling=sampling)
        self._queue.put(req)
        return req.future

    def generate(self, messages: list[dict[str, Any]], sampling: Sampling) -> Completion:
        """Blocking convenience wrapper (benchmarks, tests)."""
        return self.submit(self.tokenize_chat(messages), sampling).result()

    # ------------------------------------------------------------------ worker
    def _run(self) -> None:
        active: dict[int, _Seq] = {}
        while True:
            if not active:
                first = self._queue.get()  # idle: block
                with self.lock:
                    llama_cpp.llama_memory_clear(self.memory, True)  # reset: reproducible seeds
                time.sleep(0.002)  # let requests issued together arrive together
                pending = [first]
            else:
                pending = []
            free = [s for s in range(self.n_parallel) if s not in active]
            while len(pending) < len(free):
                try:
                    pending.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.lock:
                    if pending:
                        self._admit(pending, free, active)
                    if active:
                        self._step(active)
            except Exception as exc:  # a failed decode fails the requests in flight
                for seq in list(active.values()):
                    if not seq.req.future.done():
                        seq.req.future.set_exception(exc)
                active.clear()
                for req in pending:
                    if not req.future.done():
                        req.future.set_exception(exc)
                with self.lock:
                    llama_cpp.llama_memory_clear(self.memory, True)
                continue
            with self.lock:
                for slot in [s for s, q in active.items() if q.done]:
                    self._finish(active.pop(slot))

    def _admit(self, pending: list[_Request], free: list[int], active: dict[int, _Seq]) -> None:
        """Prefill new requests; identical prompts share one prefill.

        Samplers are built first: a request whose grammar does not parse fails
        alone and takes no slot.
        """
        groups: dict[tuple[int, ...], list[tuple[_Request, int, internals.LlamaSampler]]] = {}
        slots_left = iter(free)
        for req in pending:
            try:
                smp = _sampler(req.sampling, self.model.vocab)
            except GrammarError as exc:
                req.future.set_exception(exc)
                continue
            groups.setdefault(tuple(req.prompt), []).append((req, next(slots_left), smp))
        for prompt, members in groups.items():
            slots = [slot for _, slot, _ in members]
            for slot in slots:
                llama_cpp.llama_memory_seq_rm(self.memory, slot, -1, -1)
            last_index = 0
            for start in range(0, len(prompt), self.n_batch):
                chunk = prompt[start:start + self.n_batch]
                self.batch.n_tokens = 0
                for i, tok in enumerate(chunk):
                    is_last = start + i == len(prompt) - 1
                    self._add(tok, start + i, slots, is_last)
                    if is_last:
                        last_index = i
                self._decode()
            for req, slot, smp in members:
                seq = _Seq(req=req, slot=slot, sampler=smp, pos=len(prompt))
                self._sample(seq, last_index)
                active[slot] = seq

    def _add(self, token: int, pos: int, seq_ids: list[int], logits: bool) -> None:
        b, j = self.batch, self.batch.n_tokens
        b.token[j] = token
        b.pos[j] = pos
        b.n_seq_id[j] = len(seq_ids)
        for k, s in enumerate(seq_ids):
            b.seq_id[j][k] = s
        b.logits[j] = logits
        b.n_tokens = j + 1

    def _decode(self) -> None:
        rc = llama_cpp.llama_decode(self.ctx.ctx, self.batch)
        self.decode_calls += 1
        if rc != 0:
            raise RuntimeError(f"llama_decode failed with code {rc} (context full or invalid batch)")

    def _step(self, active: dict[int, _Seq]) -> None:
        """One decode step for every unfinished sequence."""
        running = [q for q in active.values() if q.done is None]
        if not running:
            return
        self.batch.n_tokens = 0
        for q in running:
            self._add(q.last, q.pos, [q.slot], True)
            q.pos += 1
        self._decode()
        for i, q in enumerate(running):
            self._sample(q, i)

    def _sample(self, q: _Seq, index: int) -> None:
        tok = q.sampler.sample(self.ctx, index)
        if llama_cpp.llama_vocab_is_eog(self.model.vocab, tok):
            q.done = "stop"
            return
        q.out.append(tok)
        q.last = tok
        q.text += self._piece(tok)
        s = q.req.sampling
        if s.stop:
            tail = bytes(q.text[-(max(len(x.encode()) for x in s.stop) + 16):]).decode("utf-8", "ignore")
            if any(x in tail for x in s.stop):
                q.done = "stop"
                return
        if len(q.out) >= s.max_tokens:
            q.done = "max_tokens"
        elif q.pos + 1 >= self.n_ctx_per_seq:
            q.done = "model_length"

    def _piece(self, tok: int) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self.model.vocab, tok, buf, 64, 0, False)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.model.vocab, tok, buf, -n, 0, False)
        return buf.raw[:n]

    def _finish(self, q: _Seq) -> None:
        llama_cpp.llama_memory_seq_rm(self.memory, q.slot, -1, -1)
        text = bytes(q.text).decode("utf-8", errors="replace")
        for stop in q.req.sampling.stop:
            cut = text.find(stop)
            if cut != -1:
                text = text[:cut]
        q.req.future.set_result(Completion(
            text=text, prompt_tokens=len(q.req.prompt), completion_tokens=len(q.out),
            stop_reason=q.done or "stop", seconds=time.perf_counter() - q.req.submitted))


_engines: dict[tuple[Any, ...], LlamaEngine] = {}
_engines_lock = threading.Lock()


def get_engine(path: str | Path, **kwargs: Any) -> LlamaEngine:
    """The process-wide engine for a GGUF and settings (loaded once, then reused)."""
    key = (str(Path(path).resolve()), tuple(sorted(kwargs.items())))
    with _engines_lock:
        if key not in _engines:
            _engines[key] = LlamaEngine(path, **kwargs)
        return _engines[key]
