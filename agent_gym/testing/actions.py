"""Adversarial actions every env must survive: malformed, unknown, oversized and exotic turns."""

from __future__ import annotations

from typing import Any

__all__ = ["ADVERSARIAL_ACTIONS", "adversarial_actions", "schema_calls"]

ADVERSARIAL_ACTIONS: tuple[str | dict[str, Any], ...] = (
    "",
    "   \n\t ",
    "I am not sure what to do.",
    "<tool_call>",
    "<tool_call>{not json}</tool_call>",
    '<tool_call>{"name": "no_such_tool", "arguments": {}}</tool_call>',
    '<tool_call>{"name": 42, "arguments": {}}</tool_call>',
    '<tool_call>{"arguments": {"x": 1}}</tool_call>',
    '<tool_call>["a", "list"]</tool_call>',
    '<tool_call>{"name": "search", "arguments": "not an object"}</tool_call>',
    '<tool_call>{"name": "search", "arguments": {"query": 7, "extra": [1, 2]}}</tool_call>',
    "<tool_call>" + "[" * 5000 + "</tool_call>",
    "<answer></answer>",
    "<answer>unclosed",
    "<search></search><search>x",
    "Action: search[",
    "Action: [missing name]",
    "Action: finish[]",
    "\x00\x01\x02 control characters \x7f",
    "lone surrogate \ud800 and emoji 🧪 and RTL \u202e text",
    "x" * 100_000,
    {"role": "assistant", "content": None, "tool_calls": "not a list"},
    {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "no_such_tool", "arguments": "{bad"}}]},
    {"role": "assistant", "content": 12, "tool_calls": [None, 3, {"id": 5}]},
)
"""Turns that must become error messages and reward components, never exceptions."""


def adversarial_actions(tool_names: list[str] | tuple[str, ...] = ()) -> list[str | dict[str, Any]]:
    """:data:`ADVERSARIAL_ACTIONS` plus, for each real tool, calls with missing and mistyped arguments."""
    extra: list[str | dict[str, Any]] = []
    for name in tool_names:
        extra += [
            f'<tool_call>{{"name": "{name}", "arguments": {{}}}}</tool_call>',
            f'<tool_call>{{"name": "{name}", "arguments": {{"__unknown__": null}}}}</tool_call>',
            f"<{name}></{name}>",
            f"Action: {name}[]",
        ]
    return list(ADVERSARIAL_ACTIONS) + extra


_DUMMY_VALUES: dict[str, Any] = {"string": "test", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}


def schema_calls(env: Any) -> list[str | dict[str, Any]]:
    """One well-formed call of each of a ToolEnv's tools, with placeholder arguments from its schema.

    These reach the tools themselves (and the noise model), which adversarial actions do not.
    """
    from agent_gym.types import ToolCall

    fmt, tools = getattr(env, "format", None), getattr(env, "tools", None)
    if fmt is None or not tools:
        return []
    turns: list[str | dict[str, Any]] = []
    for k, t in enumerate(tools.values()):
        properties = t.parameters.get("properties", {})
        arguments = {name: _DUMMY_VALUES.get(properties[name].get("type"), "test") for name in t.parameters.get("required", ())}
        call = ToolCall(name=t.name, arguments=arguments, id=f"probe_{k}")
        try:
            turns.append(fmt.render_turn([call]))
        except ValueError:  # the format cannot express this tool's arguments
            continue
    return turns
