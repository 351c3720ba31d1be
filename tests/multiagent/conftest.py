"""Fixtures of the multi-agent tests: a scripted KeyValueLookup searcher that follows the chain it reads."""

from __future__ import annotations

import re
from typing import Any

import pytest

from agent_gym.testing import FunctionPolicy
from agent_gym.tools.formats import HermesFormat
from agent_gym.types import ToolCall

_START = re.compile(r"Start at key '([^']+)'")
_VALUE = re.compile(r"^(\S+) = (\S+)$")
_KEY = re.compile(r"[a-z]+-\d+")


def follow_chain(history: tuple[dict[str, Any], ...]) -> str:
    """Look up the start key, then each value that is a key; answer the first value that is not one."""
    fmt = HermesFormat()
    last_tool = next((m for m in reversed(history) if m["role"] == "tool"), None)
    if last_tool is None:
        key = _START.search(next(m["content"] for m in history if m["role"] == "user")).group(1)
        return fmt.render_turn([ToolCall(name="lookup", arguments={"key": key})])
    value = _VALUE.match(last_tool["content"]).group(2)
    if _KEY.fullmatch(value):
        return fmt.render_turn([ToolCall(name="lookup", arguments={"key": value})])
    return fmt.render_turn(answer=value)


@pytest.fixture
def chain_searcher() -> FunctionPolicy:
    return FunctionPolicy(follow_chain)
