"""Model strings: accepted forms parse, bad ones fail with the list of accepted forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegap.models.spec import ACCEPTED_FORMS, ModelStringError, parse_model


@pytest.mark.parametrize("model,provider,alias", [
    ("local/qwen2.5-coder-0.5b", "local", "qwen2.5-coder-0.5b"),
    ("local/qwen2.5-coder-1.5b", "local", "qwen2.5-coder-1.5b"),
    ("local/smollm2-135m", "local", "smollm2-135m"),
])
def test_local_aliases(model, provider, alias):
    spec = parse_model(model)
    assert (spec.provider, spec.alias, spec.path) == (provider, alias, None)
    assert spec.is_local


def test_local_gguf_path(tmp_path: Path):
    f = tmp_path / "tiny.gguf"
    f.write_bytes(b"GGUF")
    spec = parse_model(f"local/{f}")
    assert spec.path == f.resolve() and spec.alias is None


@pytest.mark.parametrize("model", [
    "openai/gpt-4o", "anthropic/claude-sonnet-4-0", "openai-api/vllm/qwen-coder",
    "hf/Qwen/Qwen2.5-Coder-0.5B-Instruct", "mockllm/model",
])
def test_inspect_strings_pass_through(model):
    spec = parse_model(model)
    assert spec.raw == model and not spec.is_local


@pytest.mark.parametrize("model,reason", [
    ("", "empty"),
    ("gpt-4o", "expected <provider>/<model>"),
    ("local/qwen9-coder", "unknown local model"),
    ("local/missing-file.gguf", "does not exist"),
    ("openai-api/onlyname", "openai-api/<name>/<model>"),
    ("nosuchprovider/x", "no provider 'nosuchprovider'"),
    ("openai/gpt 4o", "whitespace"),
])
def test_bad_strings_list_accepted_forms(model, reason):
    with pytest.raises(ModelStringError) as err:
        parse_model(model)
    msg = str(err.value)
    assert reason in msg
    assert ACCEPTED_FORMS in msg
    for form in ("local/qwen2.5-coder-0.5b", "local/<path/to/any.gguf>", "openai-api/<name>/<model>"):
        assert form in msg
