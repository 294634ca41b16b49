"""Synthetic models that define what the verdict must say (used by the tests).

The stub server answers the free and the constrained JSON arm from the same
prompt; like a real server, a policy knows it is constrained only from the
request body (`response_format`, which inspect sends for `response_schema`),
so these tests also check that the schema reaches the server.

- `perfect` writes the right call in every arm: no format failures at all,
  `does not hold`.
- `limited` has exactly the claimed limitation: it knows the right call (on
  nine tasks in ten; the tenth it gets wrong however it answers), but asked
  for free JSON it breaks the format six times in ten (prose around the
  object, Python quotes, a trailing comma, arguments as a string, an extra
  field). Under the constraint its JSON is valid, so its calls are right:
  `holds`.
- `random` calls a random tool of the toolbox with plausible random values;
  free JSON is broken half the time; constrained, it writes valid JSON of
  its random call: it must never get `holds`.
- `wrong_args` (extra): always valid JSON, always the right tool, always one
  wrong value: format is never its problem, `does not hold`.
- `no_structured_output` (extra): `limited`, behind a server that ignores
  `response_format`: the constrained arm is as broken as the free one, so the
  manipulation did not happen: `premise not met`.
"""

from __future__ import annotations

import json
import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.format_brittleness.generator import Instance
from codegap.experiments.format_brittleness.tools import MAKERS, TOOLS


def _constrained(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format") or {}
    return fmt.get("type") == "json_schema" and isinstance(fmt.get("json_schema", {}).get("schema"), dict)


def _json(call: dict[str, Any]) -> str:
    return json.dumps(call)


def _say(call: dict[str, Any]) -> str:
    values = ", ".join(f"{k} = {v}" for k, v in call["arguments"].items())
    return f"Call {call['name']} with {values}."


def _broken(call: dict[str, Any], rng: random.Random) -> str:
    """The call in one of the ways small models break JSON."""
    kind = rng.randrange(5)
    if kind == 0:
        return f"Sure! To do that, I will call the tool like this:\n{_json(call)}\nLet me know if you need more."
    if kind == 1:
        return str(call)  # a Python dict: single quotes
    if kind == 2:
        return _json(call)[:-1] + ",}"
    if kind == 3:
        return _json({"name": call["name"], "arguments": json.dumps(call["arguments"])})
    return _json({**call, "reason": "this tool does what the user asked"})


def _wrong(inst: Instance, rng: random.Random) -> dict[str, Any]:
    """The right tool with one argument changed to another value of its type (still valid JSON of the schema)."""
    args = inst.arguments
    param = rng.choice(TOOLS[inst.tool].params)
    v = args[param.name]
    if param.enum:
        args[param.name] = rng.choice([e for e in param.enum if e != v])
    elif isinstance(v, (int, float)):
        args[param.name] = v + rng.choice([-2, -1, 1, 2, 10])
    else:
        others = [MAKERS[inst.tool](rng)[1][param.name] for _ in range(20)]
        args[param.name] = next((o for o in others if o != v), v + " X")
    return {"name": inst.tool, "arguments": args}


def _random_call(inst: Instance, rng: random.Random) -> dict[str, Any]:
    tool = rng.choice(inst.toolbox)
    return {"name": tool, "arguments": MAKERS[tool](rng)[1]}


def perfect(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random,
            body: dict[str, Any] | None = None) -> str:
    return _say(inst.call()) if req.arm == "plain" else _json(inst.call())


def _limited(inst: Instance, req: Request, rng: random.Random, constrained: bool) -> str:
    knows = random.Random(f"{inst.id}:knows").random() < 0.9  # one decision per task, in every arm
    call = inst.call() if knows else _wrong(inst, random.Random(f"{inst.id}:wrong"))
    if req.arm == "plain":
        return _say(call)
    if constrained:
        return _json(call)
    return _broken(call, rng) if rng.random() < 0.6 else _json(call)


def limited(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random,
            body: dict[str, Any] | None = None) -> str:
    return _limited(inst, req, rng, _constrained(body or {}))


def random_model(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random,
                 body: dict[str, Any] | None = None) -> str:
    constrained = _constrained(body or {})
    rng = random.Random(f"{rng.random()}:{constrained}")  # the two JSON arms share a prompt: draw apart
    call = _random_call(inst, rng)
    if req.arm == "plain":
        return _say(call)
    if constrained or rng.random() < 0.5:
        return _json(call)
    return _broken(call, rng)


def wrong_args(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random,
               body: dict[str, Any] | None = None) -> str:
    call = _wrong(inst, random.Random(f"{inst.id}:wrong"))
    return _say(call) if req.arm == "plain" else _json(call)


def no_structured_output(inst: Instance, req: Request, round: int, messages: Any, rng: random.Random,
                         body: dict[str, Any] | None = None) -> str:
    return _limited(inst, req, rng, constrained=False)


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model, "wrong_args": wrong_args,
            "no_structured_output": no_structured_output}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds",
            "wrong_args": "does not hold", "no_structured_output": "premise not met"}
