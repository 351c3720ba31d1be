"""OpenAI function calling: the action is an assistant message dict with ``tool_calls``.

This is what OpenAI-compatible servers (vLLM, llama.cpp, Ollama) return when they are given ``tools=``;
the final answer is written in the content as ``<answer>…</answer>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from agent_gym.tools.formats.base import Action, ToolFormat, action_text, extract_answer
from agent_gym.tools.formats.hermes import parse_call_object
from agent_gym.tools.tool import Tool
from agent_gym.types import ParsedTurn, ToolCall, ToolFailure

__all__ = ["OpenAIFormat", "openai_tool_schemas"]


def openai_tool_schemas(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """The ``tools=`` list of a chat-completions request (also what ``apply_chat_template(tools=...)`` takes)."""
    return [
        {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)}}
        for t in tools
    ]


class OpenAIFormat(ToolFormat):
    """Native ``tool_calls`` in the assistant message.

    Example:
        >>> msg = {"role": "assistant", "content": "", "tool_calls": [
        ...     {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"query": "x"}'}}]}
        >>> OpenAIFormat().parse(msg, {}).tool_calls[0].id
        'c1'
    """

    name = "openai"

    def render_tools(self, tools: Sequence[Tool]) -> str:
        listing = "\n".join(f"- {t.name}: {t.description}" for t in tools)
        return (
            "You can call these functions through function calling:\n"
            f"{listing}\n"
            "When you know the final answer, write it inside <answer></answer> tags."
        )

    def parse(self, action: Action, tools: Mapping[str, Tool]) -> ParsedTurn:
        text = action_text(action)
        raw_calls = action.get("tool_calls") if isinstance(action, Mapping) else None
        calls: list[ToolCall] = []
        failures: list[ToolFailure] = []
        if raw_calls is not None and not isinstance(raw_calls, (list, tuple)):
            failures.append(ToolFailure(kind="parse_error", message='"tool_calls" must be a list'))
            raw_calls = None
        for raw in raw_calls or ():
            function = raw.get("function") if isinstance(raw, Mapping) else None
            if not isinstance(function, Mapping):
                failures.append(ToolFailure(kind="parse_error", message='each tool call needs a "function" object'))
                continue
            parsed = parse_call_object({**function, "id": raw.get("id")})
            (calls if isinstance(parsed, ToolCall) else failures).append(parsed)
        return ParsedTurn(tool_calls=tuple(calls), answer=extract_answer(text), failures=tuple(failures))

    def render_turn(self, calls: Sequence[ToolCall] = (), answer: str | None = None, thought: str = "") -> dict[str, Any]:
        content = thought + (f"<answer>{answer}</answer>" if answer is not None else "")
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
                }
                for c in calls
            ]
        return message
