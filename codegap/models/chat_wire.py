"""The chat-completions wire format as inspect's OpenAI providers use it: request bodies and replies.

Why its own module: the direct path (`direct.py`) must send what inspect's
`openai` / `openai-api` providers send for the same prompt and settings, and
read replies as inspect reads them, or the two paths would give different
rows for the same replies. Each function mirrors one piece of inspect 0.3.285 (named in its
docstring) and depends on its arguments only;
`tests/test_models_direct.py` checks bodies and rows against inspect itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

#: Bumped when the cache key recipe or the stored record changes meaning.
CACHE_SCHEME = "codegap-direct-1"
#: Where inspect looks for reasoning that a server returns beside the answer.
REASONING_FIELDS = ("reasoning_details", "reasoning_content", "reasoning")
#: JSON Schema keywords inspect's OpenAI-compatible provider strips from response schemas.
_OPENAI_API_SCHEMA_EXCLUDE = {"pattern", "minLength", "maxLength", "minimum", "maximum", "examples"}


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Settings:
    """Sampling settings of one request (None: not sent, the server's default)."""

    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    response_schema: dict[str, Any] | None = None


_schemas: dict[tuple[bool, str], dict[str, Any]] = {}


def _response_format(provider: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`response_format` as inspect's `openai_completion_params` builds it (`json_schema_dump`, same
    normalisation; the OpenAI-compatible provider strips the extended keywords, `openai/` does not)."""
    strip = provider == "openai-api"
    key = (strip, json.dumps(schema, sort_keys=True))
    dumped = _schemas.get(key)
    if dumped is None:
        try:
            from inspect_ai.util import JSONSchema
            from inspect_ai.util._json import json_schema_dump
        except ImportError:  # inspect moved it: send the schema as written
            logger.warning("inspect's json_schema_dump moved; response schemas are sent unnormalised")
            dumped = _strip_keys(json.loads(key[1]), _OPENAI_API_SCHEMA_EXCLUDE) if strip else json.loads(key[1])
        else:
            dumped = json_schema_dump(JSONSchema.model_validate(schema),
                                      exclude=_OPENAI_API_SCHEMA_EXCLUDE if strip else None)
        _schemas[key] = dumped
    return {"type": "json_schema",
            "json_schema": {"name": "answer", "schema": dumped, "description": None, "strict": True}}


def _strip_keys(node: Any, keys: set[str]) -> Any:
    if isinstance(node, dict):
        return {k: _strip_keys(v, keys) for k, v in node.items() if k not in keys}
    if isinstance(node, list):
        return [_strip_keys(v, keys) for v in node]
    return node


def request_body(provider: str, name: str, messages: list[dict[str, str]],
                 settings: Settings) -> dict[str, Any]:
    """The chat-completions body inspect's `openai_completion_params` builds for these messages and settings."""
    body: dict[str, Any] = {"model": name, "messages": messages}
    if settings.max_tokens is not None:
        body["max_tokens"] = settings.max_tokens
    if settings.seed is not None:
        body["seed"] = settings.seed
    if settings.temperature is not None:
        body["temperature"] = settings.temperature
    if settings.response_schema is not None:
        body["response_format"] = _response_format(provider, settings.response_schema)
    return body


def cache_key(base_url: str, body: dict[str, Any]) -> str:
    """sha256 of the exact request (body and server URL): equal keys, equal questions."""
    payload = json.dumps({"scheme": CACHE_SCHEME, "base_url": base_url, "body": body},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- replies


_THINK = re.compile(r"<think([^>]*)>(.*?)</think>", re.DOTALL)
_THINK_TAGS = re.compile(r"<think([^>]*)>|</think>", re.DOTALL)


def _think_span(content: str) -> tuple[int, int] | None:
    """Span of the first (possibly nested) `<think>...</think>` block, as inspect's `parse_content_with_reasoning`."""
    start, depth = None, 0
    for m in _THINK_TAGS.finditer(content):
        if m.group(0).startswith("<think"):
            if start is None:
                start, depth = m.start(), 1
            else:
                depth += 1
        elif start is not None:
            depth -= 1
            if depth == 0:
                return start, m.end()
    m = _THINK.search(content)
    return m.span() if m else None


def reply_text(message: dict[str, Any]) -> str:
    """The reply a check grades, from an assistant message, as inspect's `output.completion`.

    Mirrors `chat_message_assistant_from_openai` and `parse_content_with_reasoning`:
    reasoning returned in its own field leaves the content as the reply; else a
    `<think>` block is cut out of the content (and the rest stripped), unless
    nothing else is left; a refusal's text is the reply.
    """
    content = message.get("content")
    whole = str(message.get("refusal") or content or "")
    if any(message.get(f) for f in REASONING_FIELDS):
        return whole
    text = content or ""
    span = _think_span(text)
    if span is None:
        return whole
    rest = (text[:span[0]] + text[span[1]:]).strip()
    return rest or whole


def stop_reason(finish_reason: str | None) -> str:
    """inspect's `as_stop_reason`: "length" is "max_tokens" (truncation)."""
    if finish_reason in ("stop", "eos"):
        return "stop"
    if finish_reason == "length":
        return "max_tokens"
    if finish_reason in ("tool_calls", "function_call"):
        return "tool_calls"
    if finish_reason in ("content_filter", "model_length", "max_tokens"):
        return finish_reason
    return "unknown"


@dataclass
class Reply:
    """One answered request, as a row needs it."""

    text: str  #: what is graded (reasoning removed, see `reply_text`)
    content: str  #: the assistant message as the server sent it (replayed in the next round)
    stop_reason: str  #: inspect's vocabulary: stop, max_tokens, model_length, content_filter, ...
    tokens_in: int
    tokens_out: int
    model: str  #: the model id the server reported
    seconds: float
    cached: bool
    key: str = ""

    @property
    def truncated(self) -> bool:
        return self.stop_reason == "max_tokens"


def record_from_completion(completion: Any) -> dict[str, Any]:
    """What the cache keeps of a chat completion: enough to rebuild the Reply (and to read by eye)."""
    if not getattr(completion, "choices", None):
        raise ValueError(f"no choices in the response: {str(completion)[:200]!r}")
    choice = min(completion.choices, key=lambda c: c.index)
    msg = choice.message
    message: dict[str, Any] = {"content": msg.content}
    if getattr(msg, "refusal", None):
        message["refusal"] = msg.refusal
    for f in REASONING_FIELDS:
        value = getattr(msg, f, None)
        if value:
            message[f] = value
    usage = completion.usage.model_dump(exclude_none=True) if completion.usage else None
    return {"message": message, "finish_reason": choice.finish_reason, "usage": usage, "model": completion.model}


def reply_from_record(record: dict[str, Any], *, seconds: float, cached: bool, key: str) -> Reply:
    """The one reading of a stored or fresh record (fresh and cached replies cannot differ).

    Usage as inspect's `model_output_from_openai`: input tokens without cached
    (read or written) prompt tokens.
    """
    message = record["message"]
    usage = record.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    cached_in = (details.get("cached_tokens") or 0) + (details.get("cache_write_tokens") or 0)
    content = message.get("content")
    return Reply(
        text=reply_text(message),
        content=content if content is not None else str(message.get("refusal") or ""),
        stop_reason=record.get("stop_reason") or stop_reason(record.get("finish_reason")),
        tokens_in=int(usage.get("prompt_tokens", 0) or 0) - cached_in if usage else 0,
        tokens_out=int(usage.get("completion_tokens", 0) or 0),
        model=record.get("model") or "",
        seconds=seconds, cached=cached, key=key,
    )


# --------------------------------------------------------------------------- errors that are replies


def output_from_error(provider: str, name: str, exc: Any) -> dict[str, Any] | None:
    """A refusal or context-length error that inspect turns into a reply (and does not raise).

    As inspect's `openai_handle_bad_request`: OpenAI's `context_length_exceeded`
    is a reply with stop reason "model_length", a content-policy block one with
    "content_filter"; the error's message is the reply's text.
    """
    body = getattr(exc, "body", None)
    message = str(body.get("message")) if isinstance(body, dict) and "message" in body else str(exc.message)
    code, kind = getattr(exc, "code", None), getattr(exc, "type", None)
    if code == "context_length_exceeded":
        stop = "model_length"
    elif code in ("invalid_prompt", "content_policy_violation", "content_filter", "bio_policy", "cyber_policy") \
            or (kind == "invalid_request_error" and "blocked" in str(exc.message)):
        stop = "content_filter"
    elif provider == "openai-api" and exc.status_code == 400 and "input length" in str(exc):
        stop, message = "model_length", str(exc)
    else:
        return None
    return {"message": {"content": message}, "finish_reason": None, "stop_reason": stop, "usage": None,
            "model": name, "error": {"status": exc.status_code, "code": code}}
