"""The direct path for API models (`codegap.models.direct`) against the stub OpenAI-compatible server.

Checks: one synthetic check (system message, draws, a multi-round arm, a
response schema) gives the same request bodies and the same SampleRows through
the direct path and through inspect, including truncation, reasoning and
refusals; a rerun from the response cache makes no calls and gives identical
rows; identical requests in flight are sent once; transient errors are
retried, a dead server fails within the retry budget with one line naming its
URL, other errors fail at once, and replies received before a failure are
kept; progress counts samples; the server sees the requested concurrency;
`CODEGAP_ENGINE` and the model string choose the path, and the record says
which one ran.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codegap.experiments.base import Graded, LiveCheck, Request
from codegap.experiments.collect import RunContext, collect_inspect
from codegap.models import direct
from support.openai_server import OpenAIStub

SCHEMA = {"type": "object", "properties": {"x": {"type": "string", "pattern": "^a", "minLength": 1}},
          "required": ["x"], "additionalProperties": False}


@dataclass
class Inst:
    id: str
    unit: int
    level: int = 1


class Demo(LiveCheck):
    """Every request shape collect.py supports."""

    claim_id = "demo-direct"
    arms = ("plain", "drawn", "rounds", "schema")

    def unit(self, index, seed, params):
        return [Inst(f"u{index}", index, level=index % 3)]

    def requests(self, inst, params):
        return [
            Request(arm="plain", prompt=f"What is {inst.unit} + 1?", max_tokens=16),
            Request(arm="drawn", prompt=(("system", "Be brief."), ("user", f"Pick a number near {inst.unit}.")),
                    max_tokens=8, temperature=0.8, epochs=3),
            Request(arm="rounds", prompt=f"Write f for {inst.unit}.", max_tokens=32, rounds=3),
            Request(arm="schema", prompt=f"JSON for {inst.unit}", max_tokens=24, response_schema=SCHEMA),
        ]

    def grade(self, inst, req, reply, round, history=()):
        return Graded(correct=reply.endswith("ok"), unparseable=not reply, value=reply[:20], detail=str(len(history)))

    def follow_up(self, inst, req, reply, graded, round):
        return None if round >= 1 and inst.unit % 2 else f"Try again (round {round + 1})."


CHECK = Demo()


def answer(messages, body):
    """Deterministic in the request: varies with prompt, round, seed; sometimes truncated or reasoning."""
    last = messages[-1]["content"]
    rounds = sum(m["role"] == "assistant" for m in messages)
    text = f"{last[:12]}|{rounds}|{body.get('seed')}|{'json' if body.get('response_format') else 'text'} ok"
    if "3 + 1" in last:
        return {"content": text[:10], "finish_reason": "length"}
    if "near 2" in last:
        return {"content": text, "reasoning_content": "let me think"}
    if "JSON for 4" in last:
        return {"content": None, "refusal": "I cannot help with that."}
    if "5 + 1" in last:  # single-round only: inspect replays reasoning in its own tags
        return f"<think>hmm\n</think>\n  {text}  "
    return text


def instances(n: int) -> list[Inst]:
    return [inst for u in range(n) for inst in CHECK.unit(u, 0, {})]


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CODEGAP_ENGINE", raising=False)
    with OpenAIStub(answer, model_id="served-v3") as srv:
        service = f"direct{srv.port}"
        monkeypatch.setenv(f"{service.upper()}_BASE_URL", srv.base_url)
        monkeypatch.setenv(f"{service.upper()}_API_KEY", "not-a-key")
        srv.model = f"openai-api/{service}/demo"
        yield srv


def collect(model: str, tmp_path: Path, n: int = 6, **kw: Any) -> tuple[list, RunContext]:
    ctx = RunContext(model=model, seed=7, log_dir=tmp_path / "logs", **kw)
    return collect_inspect(CHECK, instances(n), {}, ctx), ctx


def comparable(rows) -> list[dict[str, Any]]:
    """A row without what legitimately differs between two runs: timing and the cache flag."""
    return [{k: v for k, v in dataclasses.asdict(r).items() if k not in ("seconds", "cached")} for r in rows]


def bodies(srv) -> list[str]:
    return sorted(json.dumps(b, sort_keys=True) for b in srv.calls)


def test_both_paths_send_the_same_requests_and_give_the_same_rows(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CODEGAP_ENGINE", "inspect")
    via_inspect, ctx_i = collect(server.model, tmp_path / "i")
    sent_by_inspect = bodies(server)
    server.reset()
    monkeypatch.setenv("CODEGAP_ENGINE", "auto")
    via_direct, ctx_d = collect(server.model, tmp_path / "d")
    assert bodies(server) == sent_by_inspect
    assert comparable(via_direct) == comparable(via_inspect)
    assert not any(r.cached for r in via_direct)
    # the shapes under test really occurred
    rows = via_direct
    assert {r.arm for r in rows} == set(CHECK.arms) and max(r.round for r in rows) == 2
    assert {r.epoch for r in rows if r.arm == "drawn"} == {0, 1, 2}
    assert any(r.truncated for r in rows) and not all(r.truncated for r in rows)
    assert "I cannot help with that." in {r.reply for r in rows}
    assert any(r.instance == "u5" and r.reply.startswith("What is 5") and r.reply.endswith("ok") for r in rows)
    assert {r.model for r in rows} == {"served-v3"}
    assert [e["engine"] for e in ctx_i.evals] == ["inspect"] and [e["engine"] for e in ctx_d.evals] == ["direct"]
    assert ctx_d.evals[0]["served"] == ctx_i.evals[0]["served"] == "served-v3"
    assert ctx_d.evals[0]["samples"] == ctx_i.evals[0]["samples"]
    log = [json.loads(line) for line in Path(ctx_d.evals[0]["log"]).read_text().splitlines()]
    assert log[0]["engine"] == "direct" and log[-1]["status"] == "success"
    assert len(log) - 2 == len(rows) == log[-1]["calls"]
    assert {"request", "reply", "tokens_in", "tokens_out", "seconds", "model", "cache"} <= set(log[1])


def test_rerun_from_the_cache_makes_no_calls_and_gives_identical_rows(server, tmp_path):
    first, _ = collect(server.model, tmp_path / "a")
    calls = server.call_count
    again, ctx = collect(server.model, tmp_path / "b")
    assert server.call_count == calls
    assert all(r.cached for r in again)
    assert comparable(again) == comparable(first)
    footer = json.loads(Path(ctx.evals[0]["log"]).read_text().splitlines()[-1])
    assert footer["calls"] == 0 and footer["cache_hits"] == len(again)
    # a different seed is a different request: asked again
    ctx2 = RunContext(model=server.model, seed=8, log_dir=tmp_path / "c")
    collect_inspect(CHECK, instances(1), {}, ctx2)
    assert server.call_count > calls


def test_identical_requests_in_flight_are_sent_once(server, tmp_path):
    twins = [Inst("a", 0), Inst("b", 0)]  # same prompts, temperature 0: the same question twice

    class Plain(Demo):
        def requests(self, inst, params):
            return [Request(arm="plain", prompt="What is 0 + 1?", max_tokens=16)]

    server.latency = 0.3
    ctx = RunContext(model=server.model, seed=0, log_dir=tmp_path / "l")
    rows = collect_inspect(Plain(), twins, {}, ctx)
    assert server.call_count == 1
    assert sorted(r.cached for r in rows) == [False, True] and rows[0].reply == rows[1].reply


def test_progress_counts_samples_from_zero_to_total(server, tmp_path):
    seen: list[tuple[int, int]] = []
    rows, _ = collect(server.model, tmp_path, n=2, on_progress=lambda d, t: seen.append((d, t)))
    samples = len({(r.instance, r.arm, r.epoch) for r in rows})
    assert seen[0] == (0, samples) and seen[-1] == (samples, samples)
    assert [d for d, _ in seen] == list(range(samples + 1))


def test_transient_errors_are_retried(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(answer, fail_first=2, fail_status=503) as srv:
        monkeypatch.setenv("RETRY_BASE_URL", srv.base_url)
        monkeypatch.setenv("RETRY_API_KEY", "k")
        ctx = RunContext(model="openai-api/retry/m", seed=0, log_dir=tmp_path / "l", max_connections=1)
        rows = collect_inspect(Demo(), [Inst("u0", 0)], {}, ctx)
    assert srv.call_count == len(rows) + 2
    log = [json.loads(x) for x in Path(ctx.evals[0]["log"]).read_text().splitlines()]
    assert [line.get("attempts") for line in log[1:-1]].count(3) == 1


def test_a_dead_server_fails_fast_with_one_line_naming_its_url(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    monkeypatch.setenv("DEAD_BASE_URL", url)
    monkeypatch.setenv("DEAD_API_KEY", "k")
    monkeypatch.setenv(direct.ENV_RETRY, "2")
    t0 = time.monotonic()
    with pytest.raises(direct.DirectError) as err:
        collect("openai-api/dead/m", tmp_path, n=2)
    assert time.monotonic() - t0 < 15
    message = str(err.value)
    assert url in message and "\n" not in message and "attempts" in message, message
    # the default budget bounds a run against a dead server to about a minute, not half an hour
    monkeypatch.delenv(direct.ENV_RETRY)
    assert direct.retry_budget() <= 90


@pytest.mark.parametrize("status, error, expect", [
    (401, {"message": "bad key", "type": "auth"}, "check FAIL_API_KEY"),
    (404, {"message": "no such model"}, "check the model name"),
    (400, {"message": "bad request", "type": "invalid_request_error"}, "HTTP 400"),
])
def test_other_errors_fail_at_once(tmp_path, monkeypatch, status, error, expect):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    with OpenAIStub(answer, fail_first=1000, fail_status=status, fail_error=error) as srv:
        monkeypatch.setenv("FAIL_BASE_URL", srv.base_url)
        monkeypatch.setenv("FAIL_API_KEY", "k")
        with pytest.raises(direct.DirectError, match=expect) as err:
            collect("openai-api/fail/m", tmp_path, n=1, max_connections=1)
        assert srv.call_count == 1
        assert srv.base_url in str(err.value) and "\n" not in str(err.value)


def test_context_length_errors_are_replies_as_on_inspect(tmp_path, monkeypatch):
    """OpenAI's context_length_exceeded is a reply (stop reason model_length), as inspect records it."""
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    error = {"message": "maximum context length is 8 tokens", "code": "context_length_exceeded",
             "type": "invalid_request_error"}
    got = {}
    for engine in ("inspect", "direct"):
        monkeypatch.setenv("CODEGAP_ENGINE", engine)
        with OpenAIStub(answer, fail_first=1000, fail_status=400, fail_error=error) as srv:
            monkeypatch.setenv("LONG_BASE_URL", srv.base_url)
            monkeypatch.setenv("LONG_API_KEY", "k")
            rows, _ = collect("openai-api/long/m", tmp_path / engine, n=1)
        got[engine] = comparable(rows)
    assert got["direct"] == got["inspect"]
    assert {r["reply"] for r in got["direct"]} == {error["message"]}


def test_replies_before_a_failure_are_kept_and_a_rerun_asks_only_for_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(direct.ENV_RETRY, "1")
    broken = {"on": True}

    def flaky(messages, body):
        if broken["on"] and any("3" in m["content"] for m in messages if m["role"] == "user"):  # unit 3
            raise RuntimeError("backend crashed")
        return answer(messages, body)

    with OpenAIStub(flaky) as srv:
        monkeypatch.setenv("FLAKY_BASE_URL", srv.base_url)
        monkeypatch.setenv("FLAKY_API_KEY", "k")
        with pytest.raises(direct.DirectError, match="HTTP 500"):
            collect("openai-api/flaky/m", tmp_path / "a", n=4, max_connections=2)
        answered = srv.call_count
        broken["on"] = False
        srv.reset()
        rows, _ = collect("openai-api/flaky/m", tmp_path / "b", n=4, max_connections=2)
    assert 0 < sum(r.cached for r in rows) and srv.call_count == sum(not r.cached for r in rows)
    assert answered > 0


def test_the_server_sees_the_requested_concurrency(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))

    class Many(Demo):
        def unit(self, index, seed, params):
            return [Inst(f"m{index}", index)]

        def requests(self, inst, params):
            return [Request(arm="plain", prompt=f"q{inst.unit}", max_tokens=4)]

    with OpenAIStub(lambda m: "ok", latency=1.5) as srv:
        monkeypatch.setenv("WIDE_BASE_URL", srv.base_url)
        monkeypatch.setenv("WIDE_API_KEY", "k")
        ctx = RunContext(model="openai-api/wide/m", seed=0, log_dir=tmp_path / "l", max_connections=24)
        collect_inspect(Many(), [i for u in range(30) for i in Many().unit(u, 0, {})], {}, ctx)
        assert srv.call_count == 30 and srv.max_in_flight == 24


def test_engine_choice(monkeypatch):
    monkeypatch.delenv("CODEGAP_ENGINE", raising=False)
    for var in ("AZURE_OPENAI_ENDPOINT", "AZUREAI_OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    assert direct.engine_for("openai-api/vllm/Qwen/Qwen2.5-Coder-7B") == "direct"
    assert direct.engine_for("openai/gpt-4o-mini") == "direct"
    for responses_api in ("openai/o3-mini", "openai/gpt-5", "openai/gpt-5.1-codex"):
        assert direct.engine_for(responses_api) == "inspect"
    assert direct.engine_for("local/qwen2.5-coder-0.5b") == "inspect"
    assert direct.engine_for("anthropic/claude-sonnet-4-0") == "inspect"
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.invalid")
    assert direct.engine_for("openai/gpt-4o") == "inspect"
    monkeypatch.setenv("CODEGAP_ENGINE", "inspect")
    assert direct.engine_for("openai-api/vllm/m") == "inspect"
    monkeypatch.setenv("CODEGAP_ENGINE", "direct")
    with pytest.raises(direct.DirectError, match="cannot use the direct path"):
        direct.engine_for("local/qwen2.5-coder-0.5b")
    monkeypatch.setenv("CODEGAP_ENGINE", "fast")
    with pytest.raises(ValueError, match="CODEGAP_ENGINE='fast'"):
        direct.engine_for("openai-api/vllm/m")


def test_a_missing_variable_is_named(monkeypatch):
    monkeypatch.delenv("NOPE_BASE_URL", raising=False)
    with pytest.raises(direct.DirectError, match="set NOPE_BASE_URL"):
        direct.endpoint("openai-api/nope/m")
    monkeypatch.setenv("NOPE_BASE_URL", "http://user:secret@127.0.0.1:9/v1")
    monkeypatch.delenv("NOPE_API_KEY", raising=False)
    with pytest.raises(direct.DirectError, match="set NOPE_API_KEY"):
        direct.endpoint("openai-api/nope/m")
    monkeypatch.setenv("NOPE_API_KEY", "sk-distinctive-key")
    ep = direct.endpoint("openai-api/nope/m")
    assert ep.display_url == "http://127.0.0.1:9/v1"  # user info never printed
    assert "sk-distinctive-key" not in repr(ep)


@pytest.mark.parametrize("message", [
    {"content": "plain"},
    {"content": "  <think>a</think>  answer  "},
    {"content": "<think>only reasoning</think>"},
    {"content": "<think>outer <think>inner</think> still</think>rest"},
    {"content": "text <think>late</think> more"},
    {"content": "<think>unclosed answer"},
    {"content": "<think signature=\"s\">x</think>y"},
    {"content": "<think>x</think>y", "reasoning_content": "r"},
    {"content": "answer", "reasoning": "r"},
    {"content": None, "refusal": "no"},
    {"content": "", "refusal": None},
    {"content": None},
])
def test_reply_text_is_inspects_completion(message):
    """`reply_text` reads an assistant message as inspect's output.completion does (its own code as the oracle)."""
    from inspect_ai.model._openai import chat_message_assistant_from_openai
    from openai.types.chat import ChatCompletionMessage

    msg = ChatCompletionMessage.model_validate({"role": "assistant", **message})
    assert direct.reply_text(message) == chat_message_assistant_from_openai("m", msg, []).text


def test_run_records_the_engine_and_a_rerun_gives_the_same_record(tmp_path, monkeypatch):
    """`codegap run` on the direct path: provenance says so; a rerun from the cache: zero calls, same record."""
    from codegap import runner
    from codegap.claims import claim_by_id
    from codegap.experiments.synthetic import responder
    from codegap.results import RunRecord
    from codegap.samples import read

    claim = claim_by_id("iterative-execution")
    monkeypatch.setenv("CODEGAP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CODEGAP_ENGINE", raising=False)
    ans = responder(claim.id, "limited", dict(claim.experiment.parameters), 0, claim.experiment.budget.max_units)
    with OpenAIStub(answer=ans) as srv:
        service = f"rec{srv.port}"
        monkeypatch.setenv(f"{service.upper()}_BASE_URL", srv.base_url)
        monkeypatch.setenv(f"{service.upper()}_API_KEY", "k")
        model = f"openai-api/{service}/limited"
        paths = [runner.run_claim(claim, model=model, seed=0, overrides={}, max_units=6, report=False)
                 for _ in range(2)]
        calls = srv.call_count
    first, again = (RunRecord.model_validate_json(p.read_text()) for p in paths)
    assert first.provenance.engine == again.provenance.engine == "direct"
    assert calls == first.provenance.model_calls and again.provenance.model_calls == 0
    assert again.provenance.cache_hits == first.provenance.model_calls
    assert [m.model_dump() for m in again.metrics] == [m.model_dump() for m in first.metrics]
    assert (again.verdict, again.spent) == (first.verdict, first.spent)
    assert all(p.endswith(".jsonl") for p in first.provenance.inspect_logs)
    root = tmp_path / "results"
    rows = [read(root.parent / r.samples)[1] for r in (first, again)]
    assert comparable(rows[1]) == comparable(rows[0])


def test_ctrl_c_cancels_the_batch_keeps_replies_and_a_rerun_asks_only_for_the_rest(tmp_path, monkeypatch, default_sigint):
    """Ctrl-C while a slow request is out: KeyboardInterrupt at once, "cancelled" in the log, replies kept."""
    import os
    import signal
    import threading

    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    slow = {"on": True}

    def answer_slowly_for_unit_1(messages, body):
        if slow["on"] and "What is 1 + 1" in messages[-1]["content"]:
            time.sleep(20)
        return answer(messages, body)

    with OpenAIStub(answer_slowly_for_unit_1) as srv:
        monkeypatch.setenv("SLOW_BASE_URL", srv.base_url)
        monkeypatch.setenv("SLOW_API_KEY", "k")

        def interrupt_when_only_the_slow_one_is_left() -> None:
            while srv.stats()["in_flight"] != 1 or srv.call_count < 10:
                time.sleep(0.05)
            time.sleep(0.3)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt_when_only_the_slow_one_is_left, daemon=True).start()
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            collect("openai-api/slow/m", tmp_path / "first", n=2)
        assert time.monotonic() - t0 < 15, "the interrupt waited for the slow request"
        first_calls = srv.call_count
        slow["on"] = False
        srv.reset()
        rows, _ = collect("openai-api/slow/m", tmp_path / "again", n=2)
    log = (tmp_path / "first" / "logs").glob("*.jsonl")
    footer = json.loads(next(log).read_text().splitlines()[-1])
    assert footer["status"] == "cancelled" and footer["calls"] == first_calls - 1
    assert sum(r.cached for r in rows) == first_calls - 1 and srv.call_count == len(rows) - (first_calls - 1)
