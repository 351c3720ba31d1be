"""Hypothesis strategies for free-text actions that look like (broken) tool calls."""

from __future__ import annotations

import json

from hypothesis import strategies as st

__all__ = ["actions", "tool_call_texts"]

_FRAGMENTS = st.sampled_from(
    [
        "<tool_call>",
        "</tool_call>",
        "<answer>",
        "</answer>",
        "{",
        "}",
        '"name"',
        '"arguments"',
        ":",
        ",",
        "<search>",
        "</search>",
        "Action: ",
        "[",
        "]",
        "finish",
        "\n",
        "Final Answer:",
        "<think>",
        "null",
    ]
)


def tool_call_texts(tool_names: list[str] | None = None) -> st.SearchStrategy[str]:
    """Hermes-style calls with arbitrary names and JSON arguments, some well formed, many not."""
    names = st.sampled_from(tool_names) if tool_names else st.text(max_size=12)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )
    call = st.builds(lambda n, a: json.dumps({"name": n, "arguments": a}), names, json_values)
    return st.builds(lambda c: f"<tool_call>{c}</tool_call>", call)


def actions(tool_names: list[str] | None = None) -> st.SearchStrategy[str]:
    """Any text, tool-call-shaped text, and soups of markup fragments."""
    soup = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=10)), max_size=12).map("".join)
    return st.one_of(st.text(), tool_call_texts(tool_names), soup)
