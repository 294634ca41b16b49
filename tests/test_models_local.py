"""The embedded `local` provider with the real SmolLM2-135M GGUF (short generations).

Checks: chat template from the GGUF, seeds reproducible and derived per epoch,
concurrent calls safe (one worker per model), cache keyed on the GGUF hash.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig, get_model
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

from codegap.models import engine
from codegap.models.local_provider import derive_seed
from codegap.models.weights import CATALOG, WeightsError, ensure_weights

MODEL = "local/smollm2-135m"


@pytest.fixture(scope="module")
def smol_path():
    try:
        return ensure_weights("smollm2-135m")
    except WeightsError as exc:  # the test venv must have it; say how to get it
        pytest.fail(f"SmolLM2 weights unavailable: {exc}")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))


def test_derive_seed_is_reproducible_and_differs_per_epoch():
    assert derive_seed(7, 1) == derive_seed(7, 1)
    seeds = {derive_seed(7, e) for e in range(1, 9)}
    assert len(seeds) == 8
    assert derive_seed(7, 1) != derive_seed(8, 1)
    assert all(0 <= s < 2**32 for s in seeds)


def test_chat_template_comes_from_the_gguf(smol_path):
    from codegap.models.llama_engine import get_engine

    eng = get_engine(smol_path, n_parallel=4, n_ctx_per_seq=512, n_threads=None)
    tokens = eng.tokenize_chat([{"role": "user", "content": "hi"}])
    text = eng.model.detokenize(tokens, special=True).decode()
    # SmolLM2's template is ChatML; the prompt must end by opening the assistant turn.
    assert "<|im_start|>user" in text and text.rstrip().endswith("<|im_start|>assistant")


def _gen(model, prompt, **cfg):
    return asyncio.run(model.generate(prompt, config=GenerateConfig(**cfg)))


def test_same_seed_same_text_other_seed_other_text(smol_path):
    model = get_model(MODEL)
    kw = dict(temperature=1.0, max_tokens=12, seed=11)
    a = _gen(model, "Write a short poem about the sea.", **kw).completion
    b = _gen(model, "Write a short poem about the sea.", **kw).completion
    c = _gen(model, "Write a short poem about the sea.", **{**kw, "seed": 12}).completion
    assert a and a == b
    assert c != a


def test_concurrent_calls_are_safe_and_batched(smol_path):
    """Many callers at once (threads and coroutines) on one model: all complete."""
    model = get_model(MODEL)

    async def many():
        return await asyncio.gather(*[
            model.generate(f"Count to {i}.", config=GenerateConfig(temperature=0.7, seed=i, max_tokens=8))
            for i in range(6)
        ])

    outs = asyncio.run(many())
    assert len(outs) == 6 and all(o.completion for o in outs)
    assert all(o.usage.output_tokens <= 8 for o in outs)

    from codegap.models.llama_engine import Sampling

    eng = model.api.engine
    prompt = eng.tokenize_chat([{"role": "user", "content": "Say yes."}])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futs = [pool.submit(lambda s=s: eng.submit(prompt, Sampling(seed=s, max_tokens=6)).result())
                for s in range(8)]
        results = [f.result(timeout=300) for f in futs]
    assert all(r.completion_tokens >= 1 for r in results)


def test_run_eval_local_epochs_seeds_and_cache(smol_path, tmp_path):
    task = Task(dataset=[Sample(input="Name a colour.", target="red")], solver=generate(), scorer=includes())
    kw = dict(seed=3, epochs=3, temperature=1.0, max_tokens=10, max_connections=1)
    engine.reset_counts()
    log1 = engine.run_eval(task, MODEL, log_dir=tmp_path / "l1", **kw)
    texts1 = [s.output.completion for s in log1.samples]
    assert engine.log_call_stats(log1).calls == 3
    assert len(set(texts1)) > 1, "each epoch must draw its own sample"
    # cached rerun: zero model calls, same answers
    log2 = engine.run_eval(task, MODEL, log_dir=tmp_path / "l2", **kw)
    assert engine.log_call_stats(log2) == engine.CallStats(calls=0, cache_hits=3)
    assert [s.output.completion for s in log2.samples] == texts1
    assert engine.call_count() == 3 and engine.cache_hit_count() == 3
    # without the cache the same seeds reproduce the same answers
    log3 = engine.run_eval(task, MODEL, log_dir=tmp_path / "l3", cache=False, **kw)
    assert [s.output.completion for s in log3.samples] == texts1


def test_cache_key_includes_the_gguf_hash(smol_path, tmp_path, monkeypatch):
    """Same model name, different weights hash -> no cache hit."""
    task = Task(dataset=[Sample(input="Say hi.", target="hi")], solver=generate(), scorer=includes())
    kw = dict(seed=1, temperature=0.0, max_tokens=4, max_connections=1)
    engine.run_eval(task, MODEL, log_dir=tmp_path / "a", **kw)
    real = engine.model_version

    def other_version(model, log=None):
        return "sha256:" + "0" * 64 if model == MODEL else real(model, log)

    monkeypatch.setattr(engine, "model_version", other_version)
    log = engine.run_eval(task, MODEL, log_dir=tmp_path / "b", **kw)
    assert engine.log_call_stats(log).calls == 1


def test_model_version_is_the_gguf_sha256(smol_path):
    assert engine.model_version(MODEL) == "sha256:" + CATALOG["smollm2-135m"].sha256
    assert engine.model_version(f"local/{smol_path}") == "sha256:" + CATALOG["smollm2-135m"].sha256


# --- structured output: response_schema -> llama.cpp grammar ---------------------------------------

_TOOL_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "enum": ["book_table", "set_timer"]},
        "arguments": {"anyOf": [
            {"type": "object", "properties": {"people": {"type": "integer"}, "time": {"type": "string"}},
             "required": ["people", "time"], "additionalProperties": False},
            {"type": "object", "properties": {"minutes": {"type": "integer"}},
             "required": ["minutes"], "additionalProperties": False}]},
    },
    "required": ["name", "arguments"],
    "additionalProperties": False,
}
_TOOL_PROMPT = ('Tools: book_table(people: integer, time: string), set_timer(minutes: integer). '
                'Request: "Set a timer for an hour and a half." Reply with the tool call as JSON.')


def test_response_schema_constrains_the_reply_and_batches_with_free_requests(smol_path):
    """Constrained and free requests with one prompt run in one batch; only the constrained one is JSON."""
    import json

    import jsonschema
    from inspect_ai.model import ResponseSchema
    from inspect_ai.util import JSONSchema

    model = get_model(MODEL)
    rs = ResponseSchema(name="call", json_schema=JSONSchema.model_validate(_TOOL_SCHEMA), strict=True)
    eng = model.api.engine
    calls_before = eng.decode_calls

    async def both():
        return await asyncio.gather(*[
            model.generate(_TOOL_PROMPT, config=GenerateConfig(temperature=0.0, max_tokens=96,
                                                               response_schema=rs if i % 2 else None))
            for i in range(4)])

    def valid(text: str) -> bool:
        try:
            jsonschema.validate(json.loads(text), _TOOL_SCHEMA)
        except (ValueError, jsonschema.ValidationError):
            return False
        return True

    free, constrained, free2, constrained2 = asyncio.run(both())
    assert constrained.stop_reason == "stop" and constrained.completion == constrained2.completion
    assert valid(constrained.completion), constrained.completion
    assert not valid(free.completion), "SmolLM2 left free writes code, not the JSON: the grammar leaked"
    steps = eng.decode_calls - calls_before
    longest = max(o.usage.output_tokens for o in (free, constrained, free2, constrained2))
    assert steps <= longest + 4, f"{steps} decode calls for 4 requests of <= {longest} tokens: not batched"


def test_a_grammar_llama_cpp_cannot_parse_fails_that_request_alone(smol_path):
    from codegap.models.llama_engine import GrammarError, Sampling, get_engine

    eng = get_engine(smol_path, n_parallel=4, n_ctx_per_seq=512, n_threads=None)
    prompt = eng.tokenize_chat([{"role": "user", "content": "Say yes."}])
    bad = eng.submit(prompt, Sampling(temperature=0.0, max_tokens=4, grammar='root ::= ("yes"'))
    good = eng.submit(prompt, Sampling(temperature=0.0, max_tokens=4, grammar='root ::= "yes" | "no"'))
    with pytest.raises(GrammarError):
        bad.result(timeout=120)
    assert good.result(timeout=120).text in ("yes", "no")


def test_an_unsupported_schema_is_refused_not_run_unconstrained():
    from codegap.models.local_provider import schema_grammar

    assert "root ::=" in schema_grammar(_TOOL_SCHEMA)
    with pytest.raises(ValueError, match="response_schema"):
        schema_grammar({"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}})


def test_a_prompt_longer_than_the_context_is_an_empty_model_length_reply(smol_path):
    """One conversation that outgrew the context answers with stop reason model_length (as an
    API server's context_length_exceeded does) instead of failing the evaluation it is in."""
    from codegap.models.llama_engine import Sampling, get_engine

    eng = get_engine(smol_path, n_parallel=4, n_ctx_per_seq=512, n_threads=None)
    long = eng.tokenize_chat([{"role": "user", "content": "word " * 600}])
    assert len(long) > 512
    done = eng.submit(long, Sampling(temperature=0.0, top_p=1.0, top_k=0, seed=1, max_tokens=8)).result()
    assert (done.text, done.completion_tokens, done.stop_reason) == ("", 0, "prompt_too_long")
    short = eng.generate([{"role": "user", "content": "hi"}],
                         Sampling(temperature=0.0, top_p=1.0, top_k=0, seed=1, max_tokens=4))
    assert short.completion_tokens > 0, "the engine keeps answering"

    model = get_model(MODEL, n_ctx=512)
    out = _gen(model, "word " * 600, max_tokens=8)
    assert out.stop_reason == "model_length" and out.completion == ""
