"""The three arms: the same toolbox and request, answered as free JSON, constrained JSON, or in words.

- `free_json`: the tool call as a JSON object, asked for in the prompt only;
- `grammar_json`: the same prompt, with the instance's JSON schema sent as
  `response_schema`: structured output for API models, a llama.cpp grammar
  for local ones (`codegap.models.local_provider`). The reply can only be
  JSON of the schema (unless cut off), so what is left to get wrong is the
  content: which tool, which values;
- `plain`: which tool and which values, in one or two plain sentences (no
  format to break: how often the model knows the right call at all).

The two JSON arms have the same prompt text, so the only difference between
them is the constraint.
"""

from __future__ import annotations

from codegap.experiments.base import Request
from codegap.experiments.format_brittleness.generator import Instance
from codegap.experiments.format_brittleness.tools import TOOLS

ARMS = ("free_json", "grammar_json", "plain")

#: Output tokens. A call is 25-60 tokens of JSON; the budget leaves room for a model that adds a sentence or
#: a fence, so that a cut-off reply is rare (truncation is a premise). Plain answers are one or two sentences.
JSON_TOKENS = 256
PLAIN_TOKENS = 160

JSON_ASK = ('Answer with the one tool call that does what the user asks, as a JSON object of the form '
            '{"name": "<tool name>", "arguments": {"<parameter>": <value>, ...}}. '
            "Reply with only the JSON object.")
PLAIN_ASK = ("Say in one or two plain sentences which tool should be called and the value of each of its "
             "parameters. Do not write JSON or code.")


def context(inst: Instance) -> str:
    tools = "\n".join(TOOLS[t].describe() for t in inst.toolbox)
    return (f"You are the tool-calling part of an assistant. These tools are available:\n{tools}\n\n"
            f'The user says: "{inst.request}"')


def requests(inst: Instance) -> list[Request]:
    json_prompt = f"{context(inst)}\n\n{JSON_ASK}"
    return [
        Request(arm="free_json", prompt=json_prompt, max_tokens=JSON_TOKENS),
        Request(arm="grammar_json", prompt=json_prompt, max_tokens=JSON_TOKENS, response_schema=inst.schema()),
        Request(arm="plain", prompt=f"{context(inst)}\n\n{PLAIN_ASK}", max_tokens=PLAIN_TOKENS),
    ]
