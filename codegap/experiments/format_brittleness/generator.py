"""One tool-call task per unit: a toolbox of four tools, a user request, the one right call.

The right tool's request maker (`tools.py`) draws the values and the request;
three other tools, drawn at random, complete the toolbox, shown in random
order. The response schema (the same for the free and the constrained JSON
arm) allows exactly the calls the toolbox permits: `name` one of the four
tools and `arguments` an object with exactly one tool's parameters and types
(strict-API style: every parameter required, nothing else). The schema does
not tie the name to its own argument set (strict structured output needs an
object at the root, so the tie cannot be written as a choice of whole calls);
a call naming one tool with another's arguments is valid JSON of the schema
and simply wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from codegap.experiments.answers import make_rng
from codegap.experiments.format_brittleness.tools import MAKERS, TOOLS

#: tools shown per task (the right one and the others drawn at random)
TOOLBOX = 4


@dataclass(frozen=True)
class Instance:
    id: str
    unit: int
    tool: str
    #: the toolbox shown, in display order
    toolbox: tuple[str, ...]
    request: str
    #: the right call's arguments as JSON, in the order of the tool's parameters (frozen and hashable)
    arguments_json: str

    @property
    def arguments(self) -> dict[str, Any]:
        return json.loads(self.arguments_json)

    def call(self) -> dict[str, Any]:
        return {"name": self.tool, "arguments": self.arguments}

    def schema(self) -> dict[str, Any]:
        """The JSON schema both JSON arms answer to (sent as `response_schema` to the constrained one)."""
        return {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": list(self.toolbox)},
                "arguments": {"anyOf": [TOOLS[t].arguments_schema() for t in self.toolbox]},
            },
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }


def make(seed: int, index: int, tools: list[str]) -> Instance:
    """The task of unit `index` (a pure function of seed, index and the tool list)."""
    unknown = [t for t in tools if t not in TOOLS]
    if len(tools) < TOOLBOX or unknown or len(set(tools)) != len(tools):
        raise ValueError(f"format-brittleness: parameter tools must list at least {TOOLBOX} distinct tools of "
                         f"{', '.join(TOOLS)}; got {tools!r}")
    rng = make_rng(seed, "format-brittleness", index)
    tool = tools[index % len(tools)]  # tools take turns, so every tool is equally represented
    request, args = MAKERS[tool](rng)
    others = rng.sample(sorted(t for t in tools if t != tool), TOOLBOX - 1)
    toolbox = [tool, *others]
    rng.shuffle(toolbox)
    return Instance(f"u{index}", index, tool, tuple(toolbox), request, json.dumps(args))
