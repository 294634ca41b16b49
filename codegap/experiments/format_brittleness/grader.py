"""Scoring a tool call twice over: is it the required format, and is it the right call.

Format (the JSON arms). A reply is *format-valid* when the whole reply, after
surrounding whitespace and at most one enclosing Markdown code fence are
removed, parses as one JSON object that matches the instance's schema (the
one the constrained arm is given: a tool of the toolbox, exactly one tool's
parameters, the right types). That is what a program that consumes tool
calls can use as it comes. Everything else is format-invalid, and classified
for the report:

- `no JSON`: no JSON object anywhere in the reply;
- `JSON inside text`: a JSON object with a "name" (a call) is there, with
  other text around it (an inner object of a broken call does not count);
- `not the schema`: JSON, but not a call the toolbox allows (a missing or
  extra parameter, a wrong type, an unknown tool, a value outside its list).

A format-invalid reply is wrong and counted unparseable (a program cannot
read the call). Content: a format-valid call is right when it names the
right tool and every argument equals the reference (numbers numerically,
strings ignoring case and runs of spaces).

Plain language (the `plain` arm, descriptive): right when the reply names the
right tool (as written, or with spaces for underscores) and no other tool of
the toolbox, and states every argument value (numbers as digits or as words
up to ten; strings as written, ignoring case). A reply that names no tool of
the toolbox is unparseable. This is deliberately lenient: it asks whether the
model knows the call, not whether it can write it down (a reply in JSON states
the call as well, and counts).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema

from codegap.experiments.base import Graded
from codegap.experiments.format_brittleness.generator import Instance
from codegap.experiments.format_brittleness.tools import NUMBER_WORDS, TOOLS

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(?P<body>.*?)\n?[ \t]*```", re.S)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")


def _norm(text: str) -> str:
    return " ".join(str(text).casefold().split())


def read_json(reply: str) -> tuple[str, Any]:
    """("ok", object) | ("JSON inside text", object) | ("no JSON", None) for a reply (see module doc)."""
    text = reply.strip()
    fenced = _FENCE.fullmatch(text)
    if fenced:
        text = fenced.group("body").strip()
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            return "ok", obj
    except (json.JSONDecodeError, RecursionError):
        pass
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", reply):
        try:
            obj, _ = decoder.raw_decode(reply, m.start())
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(obj, dict) and "name" in obj:
            return "JSON inside text", obj
    return "no JSON", None


@functools.lru_cache(maxsize=512)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def schema_problem(inst: Instance, obj: Any) -> str:
    """"" when `obj` is a call the instance's schema allows, else the first problem, short."""
    err = jsonschema.exceptions.best_match(_validator(json.dumps(inst.schema())).iter_errors(obj))
    if err is None:
        return ""
    where = "/".join(str(p) for p in err.absolute_path) or "the object"
    return f"{where}: {err.message}"[:160]


def same_value(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)):
        return isinstance(got, (int, float)) and abs(got - want) < 1e-9
    return isinstance(got, str) and _norm(got) == _norm(want)


def grade_json(inst: Instance, reply: str) -> Graded:
    status, obj = read_json(reply)
    if status != "ok":
        return Graded(False, True, {"format": status, "tool": None, "wrong": []}, status)
    problem = schema_problem(inst, obj)
    if problem:
        return Graded(False, True, {"format": "not the schema", "tool": obj.get("name"), "wrong": []},
                      f"not the schema: {problem}")
    want = inst.arguments
    if obj["name"] != inst.tool:
        return Graded(False, False, {"format": "valid", "tool": obj["name"], "wrong": ["tool"]},
                      f"called {obj['name']}, not {inst.tool}")
    wrong = [k for k, v in want.items() if not same_value(obj["arguments"].get(k), v)]
    detail = "; ".join(f"{k}: {json.dumps(obj['arguments'].get(k))} instead of {json.dumps(want[k])}"
                       for k in wrong)[:200]
    return Graded(not wrong, False, {"format": "valid", "tool": obj["name"], "wrong": wrong}, detail)


def _mentions_tool(text: str, name: str) -> bool:
    spaced = name.replace("_", " ")
    return bool(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text, re.I)
                or re.search(rf"(?<![\w]){re.escape(spaced)}(?![\w])", text, re.I))


def _states(text: str, value: Any) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        numbers = [float(n) for n in _NUMBER.findall(text.replace(",", ""))]
        if any(abs(n - value) < 1e-9 for n in numbers):
            return True
        return float(value).is_integer() and 0 <= value <= 10 and bool(
            re.search(rf"\b{NUMBER_WORDS[int(value)]}\b", text, re.I))
    return _norm(value) in _norm(text)


def grade_plain(inst: Instance, reply: str) -> Graded:
    named = sorted(t for t in inst.toolbox if _mentions_tool(reply, t))
    if not named:
        return Graded(False, True, {"tools": [], "missing": []}, "names no tool of the toolbox")
    missing = [k for k, v in inst.arguments.items() if not _states(reply, v)]
    ok = named == [inst.tool] and not missing
    why = []
    if named != [inst.tool]:
        why.append(f"names {', '.join(named)}")
    if missing:
        why.append(f"does not state {', '.join(missing)}")
    return Graded(ok, False, {"tools": named, "missing": missing}, "; ".join(why))


def grade(inst: Instance, arm: str, reply: str) -> Graded:
    return grade_plain(inst, reply) if arm == "plain" else grade_json(inst, reply)


assert all(" " not in t for t in TOOLS)  # tool names are identifiers (matched as words above)
