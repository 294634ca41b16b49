"""`run_eval` against the stub OpenAI-compatible server: progress callback, shared loop, cache.

Checks: `on_progress` counts every sample (x epochs) up to the total; a broken
callback cannot fail an evaluation; the shared engine loop and the plain
`inspect_ai.eval()` path give the same records; a rerun from the response cache
makes no calls and gives identical records and scores; a failed evaluation
raises EvalFailed; the server sees the requested concurrency.
"""

from __future__ import annotations

import threading

import pytest
from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import generate

from codegap.models import engine
from support.openai_server import OpenAIStub

MODEL = "openai-api/test/stub-model"


def answer(messages):
    """'What is i + 1?' -> i + 1, except every third question (so scores differ)."""
    i = int(messages[-1]["content"].split()[2])
    return str(i + 1 if i % 3 else i)


def task(n: int, epochs: int | None = None) -> Task:
    return Task(dataset=[Sample(input=f"What is {i} + 1?", target=str(i + 1), id=i) for i in range(n)],
                solver=generate(), scorer=match(), epochs=epochs)


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(answer) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "not-a-key")
        yield srv


def records(log):
    """What a run keeps of each sample: id, epoch, reply, usage, score."""
    return sorted(
        (s.id, s.epoch, s.output.completion, s.output.usage.output_tokens,
         {k: (v.value, v.answer) for k, v in (s.scores or {}).items()})
        for s in log.samples
    )


def test_on_progress_counts_every_sample_and_epoch(server, tmp_path):
    seen: list[tuple[int, int]] = []
    threads: set[str] = set()

    def progress(done, total):
        seen.append((done, total))
        threads.add(threading.current_thread().name)

    log = engine.run_eval(task(5, epochs=2), MODEL, seed=0, log_dir=tmp_path / "l", cache=False,
                          on_progress=progress)
    assert len(log.samples) == 10
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)
    assert [d for d, _ in seen] == list(range(11))
    assert {t for _, t in seen} == {10}
    # a later evaluation without a callback reports nothing to the old one
    engine.run_eval(task(3), MODEL, seed=0, log_dir=tmp_path / "m", cache=False)
    assert seen[-1] == (10, 10) and len(seen) == 11


def test_a_broken_progress_callback_does_not_fail_the_eval(server, tmp_path, caplog):
    def boom(done, total):
        raise ValueError("progress bar broke")

    log = engine.run_eval(task(3), MODEL, seed=0, log_dir=tmp_path / "l", cache=False, on_progress=boom)
    assert log.status == "success" and len(log.samples) == 3
    assert "on_progress callback failed" in caplog.text


def test_rerun_from_cache_gives_identical_records_on_both_paths(server, tmp_path, monkeypatch):
    first = engine.run_eval(task(6, epochs=2), MODEL, seed=1, log_dir=tmp_path / "a", max_connections=4)
    assert engine.log_call_stats(first) == engine.CallStats(calls=12, cache_hits=0)
    assert server.call_count == 12
    again = engine.run_eval(task(6, epochs=2), MODEL, seed=1, log_dir=tmp_path / "b", max_connections=4)
    assert engine.log_call_stats(again) == engine.CallStats(calls=0, cache_hits=12)
    assert server.call_count == 12
    assert records(again) == records(first)
    assert again.results.scores[0].metrics["accuracy"].value == first.results.scores[0].metrics["accuracy"].value
    # the plain inspect_ai.eval() path (fallback when inspect's internals move) reads the same cache
    monkeypatch.setattr(engine, "USE_ENGINE_LOOP", False)
    plain = engine.run_eval(task(6, epochs=2), MODEL, seed=1, log_dir=tmp_path / "c", max_connections=4)
    assert engine.log_call_stats(plain) == engine.CallStats(calls=0, cache_hits=12)
    assert records(plain) == records(first)


def test_engine_loop_and_plain_eval_give_the_same_records_uncached(server, tmp_path, monkeypatch):
    loop_log = engine.run_eval(task(4), MODEL, seed=2, log_dir=tmp_path / "a", cache=False)
    monkeypatch.setattr(engine, "USE_ENGINE_LOOP", False)
    plain_log = engine.run_eval(task(4), MODEL, seed=2, log_dir=tmp_path / "b", cache=False)
    assert records(loop_log) == records(plain_log)
    assert loop_log.location and plain_log.location and loop_log.location != plain_log.location


def test_failed_eval_raises_with_the_log_location(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(answer, fail_first=100) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "not-a-key")
        with pytest.raises(engine.EvalFailed, match="failed"):
            engine.run_eval(task(1), MODEL, seed=0, log_dir=tmp_path / "l", cache=False,
                            max_retries=0, timeout=5)


def test_server_sees_the_requested_concurrency(monkeypatch, tmp_path):
    """32 connections asked for, 32 requests in flight at the server (nothing caps them lower).

    The server holds each request 3 s, so even a starved CPU gets all 32 out
    before the first returns; a listen backlog of 5 (the stub's old bug) gave 30.
    """
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(answer, latency=3.0) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "not-a-key")
        engine.run_eval(task(40), MODEL, seed=0, log_dir=tmp_path / "l", cache=False, max_connections=32)
        assert srv.call_count == 40
        assert srv.max_in_flight == 32


def test_stub_server_accepts_a_burst_of_connections():
    """64 clients connecting at once all get through without the kernel's 1 s SYN retry.

    With the listen backlog left at socketserver's default of 5, most of a
    burst was dropped and retried a second later, which capped the requests in
    flight (20 of 32 in the benchmark) and added whole seconds to runs.
    """
    import socket
    import time
    from concurrent.futures import ThreadPoolExecutor

    with OpenAIStub(answer) as srv:
        barrier = threading.Barrier(64)

        def connect(_: int) -> float:
            barrier.wait()
            t0 = time.perf_counter()
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10):
                return time.perf_counter() - t0

        with ThreadPoolExecutor(64) as pool:
            waits = list(pool.map(connect, range(64)))
    assert max(waits) < 0.9, f"slowest connect took {max(waits):.2f} s (a dropped SYN is retried after 1 s)"


def test_sample_total_follows_epochs_limit_and_ids():
    from inspect_ai import Epochs

    assert engine._sample_total(task(5, epochs=2), None, {}) == 10
    assert engine._sample_total(task(5, epochs=2), 3, {}) == 15
    assert engine._sample_total(task(5), Epochs(4, "mean"), {}) == 20
    assert engine._sample_total(task(5), None, {"limit": 2}) == 2
    assert engine._sample_total(task(5), None, {"limit": (1, 4)}) == 3
    assert engine._sample_total(task(5), 2, {"sample_id": [0, 3]}) == 4


def test_ctrl_c_cancels_the_eval_and_the_engine_stays_usable(tmp_path, monkeypatch, default_sigint):
    """Ctrl-C while waiting: KeyboardInterrupt in the caller, a cancelled log, next run fine."""
    import os
    import signal
    import time

    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(answer, latency=20.0) as srv:
        monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
        monkeypatch.setenv("TEST_API_KEY", "not-a-key")
        def interrupt_once_all_asked() -> None:
            while srv.call_count < 4:
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt_once_all_asked, daemon=True).start()
        t0 = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            engine.run_eval(task(4), MODEL, seed=0, log_dir=tmp_path / "l", cache=False)
        assert time.perf_counter() - t0 < 18, "the interrupt waited for the slow server (20 s)"
        srv.latency = 0.0
        log = engine.run_eval(task(2), MODEL, seed=0, log_dir=tmp_path / "m", cache=False)
        assert log.status == "success"
    from inspect_ai.log import list_eval_logs, read_eval_log

    cancelled = [read_eval_log(info) for info in list_eval_logs(str(tmp_path / "l"))]
    assert [h.status for h in cancelled] == ["cancelled"]
    assert len(cancelled[0].samples) == 4  # the interrupted samples are in the log


def test_a_new_server_url_gets_a_new_model(tmp_path, monkeypatch):
    """Same model string and settings, new TEST_BASE_URL: the new server answers.

    inspect memoizes models on the model string and config only; without the
    explicit base URL the second run reused the first model (and, on the shared
    loop, its open connection to the first server).
    """
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TEST_API_KEY", "not-a-key")
    def fixed(text):
        return lambda messages: text

    replies = []
    for text in ("first server", "second server"):
        with OpenAIStub(fixed(text)) as srv:
            monkeypatch.setenv("TEST_BASE_URL", srv.base_url)
            log = engine.run_eval(task(2), MODEL, seed=0, log_dir=tmp_path / text, cache=False,
                                  max_retries=0, timeout=5)
            assert srv.call_count == 2
            replies.append({s.output.completion for s in log.samples})
    assert replies == [{"first server"}, {"second server"}]
