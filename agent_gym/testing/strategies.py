"""Hypothesis strategies for free-text actions that look like (broken) tool calls."""

from __future__ import annotations

import json

from hypothesis import strategies as st

__all__ = ["actions", "hostile_message_actions", "hostile_texts", "hostile_values", "tool_call_texts"]

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


# -- hostile content: what a degenerate or adversarial model turn can put in an action ---------------------------


def _nest(depth: int, leaf: object, kind: str) -> object:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


def _circular(kind: str) -> object:
    container: list | dict = [] if kind == "list" else {}
    if isinstance(container, list):
        container.append(container)
    else:
        container["self"] = container
    return container


def hostile_values() -> st.SearchStrategy[object]:
    """Values no JSON encoder takes as they are: deep, circular, huge, non-finite, non-string keys, lone surrogates,
    bytes and arbitrary objects, mixed with ordinary JSON."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([5000, 400, 20]).map(lambda digits: -(10**digits)),  # built lazily: repr() refuses 4300+ digits
        st.sampled_from([2**64, float("nan"), float("inf"), -float("inf")]),
        st.floats(),
        st.text(max_size=20),
        st.characters(categories=["Cs"]),  # lone surrogates
        st.binary(max_size=8),
        st.builds(object),
        st.sets(st.integers(), max_size=3),
    )
    keys = st.one_of(st.text(max_size=8), st.integers(), st.tuples(st.text(max_size=3)), st.none())
    tree = st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=10,
    )
    deep = st.builds(_nest, st.integers(1, 2000), leaves, st.sampled_from(["list", "dict"]))
    circular = st.builds(_circular, st.sampled_from(["list", "dict"]))
    return st.one_of(tree, deep, circular)


def hostile_message_actions(tool_names: list[str] | None = None) -> st.SearchStrategy[dict]:
    """Assistant-message dicts whose ``content`` and native ``tool_calls`` hold hostile values, or up to 100k calls."""
    names = st.sampled_from(tool_names) if tool_names else st.text(max_size=12)
    arguments = st.one_of(hostile_values(), st.dictionaries(st.text(max_size=8), hostile_values(), max_size=3))
    function = st.fixed_dictionaries({"name": names | hostile_values(), "arguments": arguments | hostile_values()})
    call = st.fixed_dictionaries(
        {"id": st.text(max_size=6) | hostile_values(), "type": st.just("function"), "function": function}
    )
    calls = st.one_of(
        st.lists(call | hostile_values(), max_size=6),
        st.tuples(call),
        st.builds(lambda c, n: [c] * n, call, st.integers(0, 100_000)),  # one object, many times: cheap to build
        hostile_values(),
    )
    content = st.one_of(st.text(), st.none(), hostile_values(), st.just("x" * 20_000))
    return st.fixed_dictionaries({"role": st.just("assistant"), "content": content, "tool_calls": calls})


def hostile_texts(tool_names: list[str] | None = None) -> st.SearchStrategy[str]:
    """Text actions with deeply nested or huge-number JSON bodies, many calls, or lone surrogates."""
    name = st.sampled_from(tool_names) if tool_names else st.just("tool")

    def nested_body(name: str, depth: int, kind: str) -> str:
        opening, closing = ("[", "]") if kind == "list" else ('{"k": ', "}")
        return f'<tool_call>{{"name": "{name}", "arguments": {{"a": {opening * depth}1{closing * depth}}}}}</tool_call>'

    nested = st.builds(nested_body, name, st.integers(1, 5000), st.sampled_from(["list", "dict"]))
    huge_number = st.builds(
        lambda n, d: f'<tool_call>{{"name": "{n}", "arguments": {{"a": {"9" * d}}}}}</tool_call>', name, st.integers(1, 6000)
    )
    many_calls = st.builds(
        lambda n, k: f'<tool_call>{{"name": "{n}", "arguments": {{}}}}</tool_call>' * k, name, st.integers(1, 400)
    )
    surrogate = st.builds(lambda t, s: t + s, st.text(max_size=20), st.characters(categories=["Cs"]))
    return st.one_of(nested, huge_number, many_calls, surrogate)
