"""The ToolFormat interface: how tools are described to the model, and how its turns are read back."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from agent_gym.tools.tool import Tool
from agent_gym.types import ParsedTurn, ToolCall

__all__ = ["Action", "ToolFormat", "action_text", "extract_answer", "single_string_parameter"]

Action = str | Mapping[str, Any]
"""An assistant turn: its text, or an assistant message dict (OpenAI form, possibly with ``tool_calls``)."""

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)


def action_text(action: Action) -> str:
    """The visible text of an action (``content`` for message dicts; ``None`` content counts as empty)."""
    if isinstance(action, str):
        return action
    content = action.get("content")
    return content if isinstance(content, str) else ""


def extract_answer(text: str) -> str | None:
    """The content of the last ``<answer>…</answer>`` in ``text``, stripped; None when there is none.

    Example:
        >>> extract_answer("I think <answer> Paris </answer>")
        'Paris'
        >>> extract_answer("no answer") is None
        True
    """
    found = _ANSWER.findall(text)
    return found[-1].strip() if found else None


def single_string_parameter(tool: Tool) -> str | None:
    """Name of the tool's only required parameter when it is a string (tag formats need one)."""
    required = list(tool.parameters.get("required", ()))
    if len(required) != 1:
        return None
    prop = tool.parameters.get("properties", {}).get(required[0], {})
    return required[0] if prop.get("type") == "string" else None


class ToolFormat(ABC):
    """One tool-call syntax: a renderer for the system prompt and a parser that never raises."""

    name: ClassVar[str]
    """Registry name, e.g. ``"hermes"``."""

    @abstractmethod
    def render_tools(self, tools: Sequence[Tool]) -> str:
        """System-prompt text that describes the tools and how to call them and answer."""

    @abstractmethod
    def parse(self, action: Action, tools: Mapping[str, Tool]) -> ParsedTurn:
        """Read one assistant turn. Must never raise, whatever the input."""

    @abstractmethod
    def render_turn(self, calls: Sequence[ToolCall] = (), answer: str | None = None, thought: str = "") -> Action:
        """Write the turn that :meth:`parse` reads back as ``calls`` and ``answer`` (scripted policies use it)."""

    def tool_message(self, call: ToolCall, content: str) -> dict[str, Any]:
        """The chat message that carries one tool result back to the model."""
        return {"role": "tool", "content": content, "tool_call_id": call.id, "name": call.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
