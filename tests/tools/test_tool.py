"""@tool builds the schema from the signature and docstring, and validates like the schema says."""

from typing import Literal

import pytest

from agent_gym.errors import ToolArgumentError, ToolDefinitionError
from agent_gym.tools import Tool, tool, validate_arguments


@tool
def search(query: str, k: int = 3, mode: Literal["fast", "exact"] = "fast") -> str:
    """Search the corpus for passages.

    Continues the description? No: only the first paragraph is the description.

    Args:
        query: What to look for,
            over two lines.
        k: How many passages.
        mode: Search mode.

    Returns:
        The passages.
    """
    return f"{query}|{k}|{mode}"


def test_schema_from_signature_and_docstring():
    assert search.name == "search"
    assert search.description == "Search the corpus for passages."
    assert search.parameters == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for, over two lines."},
            "k": {"type": "integer", "default": 3, "description": "How many passages."},
            "mode": {"type": "string", "enum": ["fast", "exact"], "default": "fast", "description": "Search mode."},
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    assert isinstance(search, Tool)


def test_run_validates_strictly():
    assert search.run({"query": "x"}) == "x|3|fast"
    with pytest.raises(ToolArgumentError, match="mode"):
        search.run({"query": "x", "mode": "slow"})
    with pytest.raises(ToolArgumentError, match="k"):
        search.run({"query": "x", "k": "3"})


def test_functions_that_cannot_be_described_are_refused():
    def no_doc(x: int) -> str:
        return ""

    def no_hint(x) -> str:
        """Doc."""

    def star(*args: int) -> str:
        """Doc."""

    with pytest.raises(ToolDefinitionError, match="needs a docstring"):
        tool(no_doc)
    with pytest.raises(ToolDefinitionError, match="needs a type hint"):
        tool(no_hint)
    with pytest.raises(ToolDefinitionError, match=r"\*args"):
        tool(star)


def test_validate_arguments_rejects_booleans_for_numbers():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": []}
    with pytest.raises(ToolArgumentError, match="must be integer, got bool"):
        validate_arguments(schema, {"n": True})
    with pytest.raises(ToolArgumentError, match="JSON object"):
        validate_arguments(schema, ["n"])


class _Counter:
    def __init__(self, start: int):
        self.value = start

    def add(self, n: int) -> str:
        """Add to the counter.

        Args:
            n: How much to add.
        """
        self.value += n
        return str(self.value)


def test_bound_method_tools_share_the_description_not_the_instance_or_schema():
    first, second = _Counter(0), _Counter(100)
    tool_a, tool_b = tool(first.add), tool(second.add)
    assert tool_a.parameters == tool_b.parameters
    assert "self" not in tool_a.parameters["properties"]
    assert tool_a.run({"n": 1}) == "1" and tool_b.run({"n": 1}) == "101"
    tool_a.parameters["properties"]["n"]["description"] = "edited"
    assert tool_b.parameters["properties"]["n"]["description"] == "How much to add."
    assert tool(second.add, name="plus").name == "plus"
