"""An inspect model whose reply is computed from the messages: for tests without weights or network."""

from __future__ import annotations

from typing import Any


def scripted_model(answer: Any) -> Any:
    """A `mockllm` model whose reply is `answer(messages)` (a list of inspect chat messages).

    Usage is set explicitly because mockllm would otherwise download a tokenizer to count it.
    """
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    def _reply(messages: Any, tools: Any, tool_choice: Any, config: Any) -> Any:
        out = ModelOutput.from_content(model="mockllm", content=str(answer(messages)))
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return out

    return get_model("mockllm/model", custom_outputs=_reply)
