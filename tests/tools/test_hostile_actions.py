"""Hostile turns: step never raises, observations stay inside the observation space, rejected actions change nothing.

Each named case reproduces a failure measured on main before the fix (issue 17).
"""

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_gym.errors import InvalidActionError
from agent_gym.testing import ArithmeticEnv
from agent_gym.testing.strategies import actions, hostile_message_actions, hostile_texts
from agent_gym.tools import ToolEnv, tool
from agent_gym.types import Task

NAMES = ["add", "divide", "sqrt"]


def call(name, **arguments):
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def native(*calls):
    return {"role": "assistant", "content": "", "tool_calls": list(calls)}


def function_call(name, arguments, call_id="c1"):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def checked_step(env, action, before):
    """One step, with every property the contract promises."""
    obs, reward, terminated, truncated, info = env.step(action)
    assert env.observation_space.contains(obs), "the observation left the observation space"
    assert obs[: len(before)] == before and len(obs) > len(before)
    assert math.isfinite(reward) and math.isclose(sum(info["reward_components"].values()), reward)
    json.dumps(info, allow_nan=False)
    json.dumps(obs, allow_nan=False)
    return obs, terminated or truncated, info


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(turns=st.lists(st.one_of(hostile_message_actions(NAMES), hostile_texts(NAMES), actions(NAMES)), min_size=1, max_size=8))
def test_step_never_raises_on_hostile_content_and_stays_in_the_space(turns):
    env = ArithmeticEnv(reward="process", noise="light", max_turns=8)
    obs, _ = env.reset(seed=1)
    for action in turns:
        obs, over, _ = checked_step(env, action, obs)
        if over:
            break


@settings(max_examples=100, deadline=None)
@given(rejected=st.lists(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text()), st.builds(object)), min_size=1))
def test_a_rejected_action_changes_nothing(rejected):
    env = ArithmeticEnv(reward="process", max_turns=4)
    before, _ = env.reset(seed=0, options={"operands": [2, 3]})
    for action in rejected:
        with pytest.raises(InvalidActionError, match="must be a str"):
            env.step(action)
    assert env.history == before
    *_, truncated, info = env.step(call("add", a=2, b=3))
    assert info["turn"] == 1 and not truncated


def test_ten_rejected_actions_do_not_use_up_turns(env):
    for _ in range(10):
        with pytest.raises(InvalidActionError):
            env.step(None)
    *_, terminated, truncated, info = env.step(call("add", a=1, b=1))
    assert info["turn"] == 1 and not terminated and not truncated


def test_a_hermes_body_nested_256_deep_is_refused_as_invalid_arguments(env):
    body = '<tool_call>{"name": "add", "arguments": {"a": ' + "[" * 256 + "1" + "]" * 256 + ', "b": 1}}</tool_call>'
    assert len(body) < 600
    obs, _, info = checked_step(env, body, env.history)
    assert [e["kind"] for e in info["errors"]] == ["invalid_arguments"]
    refusal = "the <tool_call> body nests deeper than arguments may (32 levels)"  # found before parsing
    assert info["errors"][0]["message"] == refusal
    assert obs[-1]["content"] == f"Error (invalid_arguments): {refusal}"
    *_, info = env.step(call("add", a=1, b=1))  # the next, normal step works
    assert info["tool_results"][0]["ok"]


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"a": 1, "b": json.loads("[" * 40 + "]" * 40)}, "is nested deeper than 32 levels"),
        ({("a",): 1}, "object keys must be strings, got tuple"),
        ({"a": 10**5000, "b": 1}, "holds an integer outside the 64-bit range"),
        ({"a": float("nan"), "b": 1}, "holds a non-finite number (nan)"),
        ({"a": b"1", "b": 1}, "bytes is not a JSON value"),
    ],
    ids=["deep", "tuple-key", "5000-digit-int", "nan", "bytes"],
)
def test_native_calls_with_non_json_arguments_are_refused_as_data(env, arguments, reason):
    obs, _, info = checked_step(env, native(function_call("add", arguments)), env.history)
    assert info["errors"] == [{"kind": "invalid_arguments", "message": f"tool call 0 {reason}"}]
    assert "tool_calls" not in obs[-2]  # the refused call never reaches the history
    *_, info = env.step(call("add", a=1, b=1))
    assert info["tool_results"][0]["ok"]


def test_native_calls_nested_500_deep_and_circular_are_refused(env):
    deep: object = 1
    for _ in range(500):
        deep = {"k": deep}
    circular: list = []
    circular.append(circular)
    action = native(function_call("add", deep, "d"), function_call("add", {"a": circular}, "c"))
    _, _, info = checked_step(env, action, env.history)
    assert info["errors"] == [
        {"kind": "invalid_arguments", "message": "tool call 0 is nested deeper than 32 levels"},
        {"kind": "invalid_arguments", "message": "tool call 1 contains a circular reference"},
    ]
    env.step(call("add", a=1, b=1))  # the history holds nothing unserialisable: the next step works


def test_calls_past_the_cap_are_one_failure_and_are_not_run(env):
    env.max_tool_calls_per_turn = 2
    obs, _, info = checked_step(env, call("add", a=1, b=1) * 3, env.history)
    assert [r["ok"] for r in info["tool_results"]] == [True, True]
    assert info["errors"] == [{"kind": "too_many_calls", "message": "at most 2 calls per turn; 1 more were not run"}]
    assert info["reward_components"]["invalid_call"] == pytest.approx(-0.1)


def test_100k_native_calls_are_not_read(env):
    one = function_call("add", '{"a": 1, "b": 2}')
    obs, _, info = checked_step(env, native(*[one] * 100_000), env.history)
    assert len(info["tool_results"]) == env.max_tool_calls_per_turn
    assert info["errors"] == [{"kind": "too_many_calls", "message": "at most 4 calls per turn; 99996 more were not run"}]
    assert len(json.dumps(info)) < 10_000 and len(obs[-6]["tool_calls"]) == 4


def test_long_turns_full_of_calls_keep_the_history_inside_the_space():
    env = ArithmeticEnv(reward="process", max_turns=8)
    obs, _ = env.reset(seed=0)
    turn = call("nope") * 400  # ~8k characters of calls to an unknown tool, every turn
    for _ in range(8):
        obs, over, _ = checked_step(env, turn, obs)
    assert over and len(obs) <= env.observation_space.max_messages == ToolEnv.history_bound(8, 4) == 50


@tool
def flood(n: int) -> str:
    """Return n characters.

    Args:
        n: How many.
    """
    return "x" * n


class FloodEnv(ToolEnv):
    def __init__(self):
        super().__init__([flood])

    def sample_task(self, options):
        return Task(id="flood", prompt="Flood me.")


def test_a_tool_message_longer_than_the_space_allows_is_clipped():
    env = FloodEnv()
    obs, _ = env.reset(seed=0)
    limit = env.observation_space.max_content_length
    obs, _, _ = checked_step(env, call("flood", n=limit + 10), obs)
    assert len(obs[-1]["content"]) == limit and obs[-1]["content"].endswith(f"[cut to {limit} characters from {limit + 10}]")
