"""Synthetic models behind an OpenAI-compatible server: what each check's verdict must say.

Every check defines three policies in its `synthetic.py` (`POLICIES`): a model
that solves every task, one with exactly the claimed limitation, and one that
guesses. `responder()` turns a policy into the answer function of a chat
server (tests use `tests/support/openai_server.py` on 127.0.0.1), so the
policies are exercised through the real runner, inspect and HTTP client: the
server recognises each request by the digest of its first-round messages,
which it looks up among the prompts the check generates for the run's seed.
A policy that declares a `body` keyword also gets the request body as sent
(e.g. `response_format`, to act as a server with structured output would).
"""

from __future__ import annotations

import importlib
import inspect
import random
from typing import Any, Callable

from codegap import experiments
from codegap.samples import prompt_digest

Policy = Callable[[Any, Any, int, list[dict[str, Any]], random.Random], str]


def policies(claim_id: str) -> tuple[dict[str, Policy], dict[str, str]]:
    """(POLICIES, EXPECTED) of a check's synthetic module."""
    mod = importlib.import_module(f"codegap.experiments.{experiments.module_name(claim_id)}.synthetic")
    return mod.POLICIES, mod.EXPECTED


def index(claim_id: str, params: dict[str, Any], seed: int, units: int) -> dict[str, tuple[Any, Any]]:
    """First-round prompt digest -> (instance, request), for every request of the first `units` units."""
    check = experiments.get(claim_id)
    out: dict[str, tuple[Any, Any]] = {}
    for u in range(units):
        for inst in check.unit(u, seed, params):
            for req in check.requests(inst, params):
                out[prompt_digest(req.messages())] = (inst, req)
    return out


def responder(claim_id: str, policy: str, params: dict[str, Any], seed: int, units: int) -> Callable[..., str]:
    """An answer function `(messages, body) -> text` for the OpenAI stub server."""
    table = index(claim_id, params, seed, units)
    fn = policies(claim_id)[0][policy]
    wants_body = "body" in inspect.signature(fn).parameters

    def answer(messages: list[dict[str, Any]], body: dict[str, Any] | None = None) -> str:
        first: list[tuple[str, str]] = []
        for m in messages:
            if m["role"] == "assistant":
                break
            first.append((m["role"], m["content"]))
        key = prompt_digest(first)
        if key not in table:
            raise KeyError(f"synthetic {policy}: a prompt the check did not generate ({key[:12]})")
        inst, req = table[key]
        rnd = sum(1 for m in messages if m["role"] == "assistant")
        seed_bits = f"{key}:{rnd}:{(body or {}).get('seed')}"
        extra = {"body": body or {}} if wants_body else {}
        return fn(inst, req, rnd, messages, random.Random(seed_bits), **extra)

    return answer
