"""ToolEnv's generic step: every bad input becomes data, limits end episodes cleanly, rewards add up."""

import json
import math

import pytest
from hypothesis import given, settings

from agent_gym.errors import ConfigError, InvalidActionError, ResetNeeded
from agent_gym.testing import ADVERSARIAL_ACTIONS, ArithmeticEnv
from agent_gym.testing.strategies import actions


def call(name, **arguments):
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def test_reset_opens_with_system_prompt_and_task(env):
    obs, info = env.reset(seed=0, options={"operands": [2, 3]})
    assert [m["role"] for m in obs] == ["system", "user"]
    assert obs[1]["content"] == "What is 2 + 3?"
    assert '"name": "add"' in obs[0]["content"]
    assert info["task_id"] == "add-2-3" and info["tools"] == ["add", "divide", "sqrt", "wait", "remote"]


def test_successful_call_then_answer(env):
    obs, reward, terminated, truncated, info = env.step(call("add", a=2, b=3))
    assert obs[-1] == {"role": "tool", "content": "5", "tool_call_id": "call_1_0", "name": "add"}
    assert info["tool_results"][0]["ok"] and not terminated and not truncated
    assert info["reward_components"]["turn_cost"] == pytest.approx(-0.01)
    obs, reward, terminated, truncated, info = env.step("<answer>5</answer>")
    assert terminated and not truncated
    assert info["metrics"] == {"em": 1.0}
    assert info["reward_components"]["outcome"] == 1.0


@pytest.mark.parametrize(
    ("action", "kind", "message"),
    [
        (call("nope"), "unknown_tool", "no tool named 'nope'; available: add, divide, sqrt, wait, remote."),
        (
            call("ad", a=1, b=2),
            "unknown_tool",
            "no tool named 'ad'; available: add, divide, sqrt, wait, remote. Did you mean 'add'?",
        ),
        (call("add", a="1", b=2), "invalid_arguments", "argument 'a' must be integer, got str"),
        (call("add", a=1), "invalid_arguments", "missing required argument(s): b"),
        (call("add", a=1, b=2, c=3), "invalid_arguments", "unknown argument(s): c; expected a, b"),
        (call("sqrt", x=-1), "invalid_arguments", "x must be >= 0"),
        (call("divide", a=1, b=0), "tool_exception", "ZeroDivisionError: float division by zero"),
        (call("wait", seconds=1.0), "timeout", "wait did not finish within 0.2 s"),
        (call("remote"), "unavailable", "remote could not reach its backend: connection refused by 127.0.0.1:9"),
    ],
)
def test_bad_calls_become_error_messages(env, action, kind, message):
    obs, reward, terminated, truncated, info = env.step(action)
    assert obs[-1]["role"] == "tool"
    assert obs[-1]["content"] == f"Error ({kind}): {message}"
    assert info["errors"] == [{"kind": kind, "message": message}]
    assert not terminated and not truncated
    caller_fault = kind in {"unknown_tool", "invalid_arguments"}
    assert info["reward_components"]["invalid_call" if caller_fault else "tool_error"] < 0


def test_malformed_turn_gets_feedback_and_format_penalty(env):
    obs, reward, *_, info = env.step("<tool_call>{oops}</tool_call>")
    assert obs[-1]["role"] == "user" and obs[-1]["content"].startswith(
        "Error (parse_error): the <tool_call> body is not valid JSON"
    )
    assert info["reward_components"]["format_error"] == pytest.approx(-0.1)
    obs, *_ = env.step("just chatting")
    assert obs[-1]["content"] == "Your turn contained no tool call and no answer. Call a tool, or give the final answer."


def test_repeated_call_is_penalised(env):
    env.step(call("add", a=1, b=1))
    *_, info = env.step(call("add", a=1, b=1))
    assert info["reward_components"]["repeated_call"] == pytest.approx(-0.05)


def test_max_turns_truncates_and_pays_the_failed_format_outcome(env):
    for _ in range(3):
        *_, terminated, truncated, info = env.step(call("add", a=1, b=1))
        assert not truncated
    *_, terminated, truncated, info = env.step("no call")
    assert truncated and not terminated
    assert info["reward_components"]["outcome"] == pytest.approx(0.75 - 1.0)  # 3 of 4 turns well formed


def test_overlong_action_is_cut_and_penalised():
    env = ArithmeticEnv(reward="process", max_action_chars=50)
    env.reset(seed=0)
    obs, reward, *_, info = env.step("x" * 1000)
    assert obs[2]["content"] == "x" * 50
    assert info["action_truncated"] and info["reward_components"]["overlong"] == pytest.approx(-0.1)


def test_step_after_the_end_or_before_reset_raises():
    env = ArithmeticEnv()
    with pytest.raises(ResetNeeded, match="call env.reset"):
        env.step("hi")
    env.reset(seed=0)
    env.step("<answer>1</answer>")
    with pytest.raises(ResetNeeded):
        env.step("again")


def test_non_text_actions_are_a_type_error(env):
    with pytest.raises(InvalidActionError, match="must be a str"):
        env.step(42)


def test_native_tool_calls_work_in_a_text_format(env):
    message = {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "abc", "type": "function", "function": {"name": "add", "arguments": '{"a": 4, "b": 5}'}}],
    }
    obs, *_ = env.step(message)
    assert obs[-2]["tool_calls"][0]["id"] == "abc"
    assert obs[-1] == {"role": "tool", "content": "9", "tool_call_id": "abc", "name": "add"}


def test_observations_are_copies(env):
    obs, *_ = env.step(call("add", a=1, b=1))
    obs[-1]["content"] = "tampered"
    assert env.history[-1]["content"] == "2"


def test_constructor_validates():
    with pytest.raises(ConfigError, match="max_turns"):
        ArithmeticEnv(max_turns=0)
    with pytest.raises(ConfigError, match="Did you mean 'process'"):
        ArithmeticEnv(reward="proces")
    with pytest.raises(ConfigError, match="Did you mean 'heavy'"):
        ArithmeticEnv(noise="heavvy")


@settings(max_examples=1500)
@given(text=actions(["add", "divide", "sqrt"]))
def test_step_never_raises_and_rewards_add_up(text):
    env = ArithmeticEnv(reward="process", noise="light")
    before, _ = env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(text)
    assert obs[: len(before)] == before and len(obs) > len(before)
    assert math.isfinite(reward) and math.isclose(sum(info["reward_components"].values()), reward)
    json.dumps(info)


@pytest.mark.parametrize("action", ADVERSARIAL_ACTIONS, ids=range(len(ADVERSARIAL_ACTIONS)))
def test_adversarial_actions_are_survived(action):
    env = ArithmeticEnv(reward="process")
    env.reset(seed=0)
    *_, info = env.step(action)
    json.dumps(info)
