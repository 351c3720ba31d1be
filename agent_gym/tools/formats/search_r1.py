"""Search-R1 tags: ``<search>query</search>`` for a tool named ``search``, ``<answer>…</answer>`` to finish.

Each tool with exactly one required string parameter gets a tag of its own name; results come back wrapped
in ``<information>…</information>``, as in Search-R1 and Agent-R1's QA recipes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agent_gym.tools.formats.base import Action, ToolFormat, action_text, extract_answer, single_string_parameter
from agent_gym.tools.tool import Tool
from agent_gym.types import ParsedTurn, ToolCall, ToolFailure

__all__ = ["SearchR1Format"]


class SearchR1Format(ToolFormat):
    """Tag-per-tool calls.

    Example:
        >>> from agent_gym.tools.tool import tool
        >>> @tool
        ... def search(query: str) -> str:
        ...     '''Search.'''
        ...     return query
        >>> SearchR1Format().parse("<think>hm</think><search>Paris</search>", {"search": search}).tool_calls[0].arguments
        {'query': 'Paris'}
    """

    name = "search_r1"

    def render_tools(self, tools: Sequence[Tool]) -> str:
        usable = [t for t in tools if single_string_parameter(t)]
        listing = "\n".join(f"- <{t.name}>…</{t.name}>: {t.description}" for t in usable)
        return (
            "Reason inside <think></think> first. To use a tool, write its tag with the input inside:\n"
            f"{listing}\n"
            "Results are returned between <information> and </information>. "
            "When you know the final answer, write it inside <answer></answer> tags."
        )

    def parse(self, action: Action, tools: Mapping[str, Tool]) -> ParsedTurn:
        text = action_text(action)
        found: list[tuple[int, ToolCall]] = []
        failures: list[ToolFailure] = []
        for tool in tools.values():
            param = single_string_parameter(tool)
            if param is None:
                continue
            tag = re.escape(tool.name)
            for match in re.finditer(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL):
                found.append((match.start(), ToolCall(name=tool.name, arguments={param: match.group(1).strip()})))
            opened = len(re.findall(rf"<{tag}>", text))
            if opened > len([c for _, c in found if c.name == tool.name]):
                failures.append(ToolFailure(kind="parse_error", message=f"<{tool.name}> is not closed by </{tool.name}>"))
        found.sort(key=lambda pair: pair[0])
        return ParsedTurn(tool_calls=tuple(c for _, c in found), answer=extract_answer(text), failures=tuple(failures))

    def render_turn(self, calls: Sequence[ToolCall] = (), answer: str | None = None, thought: str = "") -> str:
        parts = [f"<think>{thought}</think>"] if thought else []
        for call in calls:
            (value,) = call.arguments.values() if len(call.arguments) == 1 else (None,)
            if not isinstance(value, str):
                raise ValueError(f"search_r1 can only express single-string-argument calls, got {call.key()}")
            parts.append(f"<{call.name}>{value}</{call.name}>")
        if answer is not None:
            parts.append(f"<answer>{answer}</answer>")
        return "\n".join(parts)

    def tool_message(self, call: ToolCall, content: str) -> dict[str, Any]:
        return {"role": "tool", "content": f"<information>{content}</information>", "tool_call_id": call.id, "name": call.name}
