"""Every tool-call format: parsers never raise, renderers round-trip, several calls per turn."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_gym.errors import ConfigError
from agent_gym.testing.strategies import actions
from agent_gym.tools import FORMATS, HermesFormat, OpenAIFormat, ReActFormat, SearchR1Format, get_format, tool
from agent_gym.types import ToolCall


@tool
def search(query: str) -> str:
    """Search the corpus.

    Args:
        query: What to look for.
    """
    return query


@tool
def add(a: int, b: int) -> str:
    """Add two integers.

    Args:
        a: First.
        b: Second.
    """
    return str(a + b)


TOOLS = {"search": search, "add": add}
ALL_FORMATS = [get_format(name) for name in FORMATS]
# Tag and line formats carry text verbatim, so their arguments may not contain their own markup.
_SAFE_TEXT = (
    st.text(
        alphabet=st.characters(blacklist_characters="<>[]\n\r\x1c\x1d\x1e\x85\u2028\u2029\x0b\x0c", blacklist_categories=("Cs",)),
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.name)
@settings(max_examples=2000)
@given(text=actions(list(TOOLS)))
def test_parse_never_raises_on_text(fmt, text):
    turn = fmt.parse(text, TOOLS)
    assert all(isinstance(c, ToolCall) for c in turn.tool_calls)


@settings(max_examples=500)
@given(
    message=st.dictionaries(
        st.sampled_from(["role", "content", "tool_calls"]),
        st.recursive(
            st.none() | st.text(max_size=10) | st.integers(),
            lambda x: st.lists(x, max_size=3) | st.dictionaries(st.text(max_size=8), x, max_size=3),
            max_leaves=10,
        ),
    )
)
def test_openai_parse_never_raises_on_any_message(message):
    OpenAIFormat().parse(message, TOOLS)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.name)
@settings(max_examples=300)
@given(queries=st.lists(_SAFE_TEXT, min_size=1, max_size=3), answer=st.none() | _SAFE_TEXT)
def test_render_then_parse_round_trips(fmt, queries, answer):
    calls = [ToolCall(name="search", arguments={"query": q}, id=f"c{k}") for k, q in enumerate(queries)]
    turn = fmt.parse(fmt.render_turn(calls), TOOLS)
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [(c.name, c.arguments) for c in calls]
    assert turn.failures == ()
    if answer is not None:
        assert fmt.parse(fmt.render_turn(answer=answer), TOOLS).answer == answer


@pytest.mark.parametrize("fmt", [HermesFormat(), OpenAIFormat(), ReActFormat()], ids=lambda f: f.name)
@settings(max_examples=200)
@given(a=st.integers(-(2**63), 2**64 - 1), b=st.integers(-(2**63), 2**64 - 1))  # plain JSON's integers (64 bits)
def test_multi_argument_calls_round_trip(fmt, a, b):
    calls = [
        ToolCall(name="add", arguments={"a": a, "b": b}, id="c0"),
        ToolCall(name="search", arguments={"query": "x"}, id="c1"),
    ]
    turn = fmt.parse(fmt.render_turn(calls), TOOLS)
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [("add", {"a": a, "b": b}), ("search", {"query": "x"})]


def test_hermes_reads_json_containing_the_closing_tag():
    text = '<tool_call>{"name": "search", "arguments": {"query": "a </tool_call> b"}}</tool_call>'
    assert HermesFormat().parse(text, TOOLS).tool_calls[0].arguments == {"query": "a </tool_call> b"}


def test_hermes_answer_tags_quoted_inside_a_call_are_not_the_answer():
    """A search for the literal text "<answer></answer>" once ended the episode with an empty answer."""
    fmt = HermesFormat()
    turn = fmt.parse('<tool_call>{"name": "search", "arguments": {"query": "<answer></answer>"}}</tool_call>', TOOLS)
    assert turn.answer is None and turn.tool_calls[0].arguments == {"query": "<answer></answer>"}
    quoted = '<tool_call>{"name": "search", "arguments": {"query": "<answer>x</answer>"}}</tool_call>'
    both = fmt.parse(f"{quoted} <answer>Paris</answer>", TOOLS)
    assert both.answer == "Paris"


def test_hermes_reports_each_broken_call_and_keeps_the_good_ones():
    text = (
        '<tool_call>{"name": "search", "arguments": {"query": "ok"}}</tool_call>'
        "<tool_call>{oops}</tool_call>"
        '<tool_call>{"arguments": {}}</tool_call>'
    )
    turn = HermesFormat().parse(text, TOOLS)
    assert [c.arguments for c in turn.tool_calls] == [{"query": "ok"}]
    assert [f.kind for f in turn.failures] == ["parse_error", "parse_error"]
    assert turn.failures[1].message == 'a tool call needs a "name" string'


def test_hermes_accepts_arguments_as_a_json_string():
    text = '<tool_call>{"name": "add", "arguments": "{\\"a\\": 1, \\"b\\": 2}"}</tool_call>'
    assert HermesFormat().parse(text, TOOLS).tool_calls[0].arguments == {"a": 1, "b": 2}


def test_openai_keeps_call_ids_and_reports_bad_entries():
    message = {
        "role": "assistant",
        "content": "<answer>no</answer>",
        "tool_calls": [
            {"id": "x1", "type": "function", "function": {"name": "search", "arguments": json.dumps({"query": "q"})}},
            {"id": "x2", "type": "function", "function": {"name": "search", "arguments": "{broken"}},
            "junk",
        ],
    }
    turn = OpenAIFormat().parse(message, TOOLS)
    assert [c.id for c in turn.tool_calls] == ["x1"]
    assert turn.answer == "no"
    assert len(turn.failures) == 2


def test_search_r1_reads_calls_in_order_and_flags_unclosed_tags():
    turn = SearchR1Format().parse("<search>b</search> then <search>a</search> <search>c", TOOLS)
    assert [c.arguments["query"] for c in turn.tool_calls] == ["b", "a"]
    assert turn.failures[0].message == "<search> is not closed by </search>"


def test_search_r1_wraps_results_in_information_tags():
    message = SearchR1Format().tool_message(ToolCall(name="search", arguments={}, id="c"), "result")
    assert message["content"] == "<information>result</information>"


def test_react_reads_final_answer_and_unknown_tools():
    turn = ReActFormat().parse("Thought: hm\nAction: lookup[x]\nFinal Answer: 42", TOOLS)
    assert turn.tool_calls[0].name == "lookup"
    assert turn.answer == "42"


def test_renderers_describe_every_tool():
    for fmt in ALL_FORMATS:
        text = fmt.render_tools([search])
        assert "search" in text and "<answer>" in text or "finish[answer]" in text


def test_unknown_format_suggests_the_closest():
    with pytest.raises(ConfigError, match="Did you mean 'hermes'"):
        get_format("hermes2")
