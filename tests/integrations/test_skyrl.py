"""SkyRL-gym 0.4: a MultiHopQA-v0 episode through ``skyrl_gym.make`` equals our own episode for the same seed."""

import json

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401

skyrl_gym = pytest.importorskip("skyrl_gym")

from agent_gym.integrations.skyrl import register  # noqa: E402


def _actions(info):
    call = {"name": info["tools"][0], "arguments": {"query": info["question"]}}
    return [f"<tool_call>\n{json.dumps(call)}\n</tool_call>", f"<answer>{info['answers'][0]}</answer>"]


def _ours(seed):
    env = gym.make("MultiHopQA-v0")
    history, info = env.reset(seed=seed)
    rewards = []
    for action in _actions(info):
        history, reward, terminated, truncated, _ = env.step(action)
        rewards.append(reward)
        if terminated or truncated:
            break
    return [dict(m) for m in history], rewards, info


@pytest.mark.parametrize("seed", [3, 11])
def test_skyrl_make_plays_our_episode_for_the_same_seed(seed):
    env = skyrl_gym.make(register("MultiHopQA-v0"), extras={"seed": seed})
    messages, info = env.init([{"role": "user", "content": "ignored prompt text"}])
    want_messages, want_rewards, want_info = _ours(seed)
    assert info["task_id"] == want_info["task_id"]
    rewards, done = [], False
    for action in _actions(info):
        out = env.step(action)
        messages += [{"role": "assistant", "content": action}] + out["observations"]
        rewards.append(out["reward"])
        done = out["done"]
        if done:
            break
    assert done
    assert rewards == want_rewards and rewards[-1] > 0
    assert [m["role"] for m in messages] == [m["role"] for m in want_messages]
    assert [m["content"] for m in messages] == [m["content"] for m in want_messages]


def test_a_row_without_a_task_is_refused():
    from agent_gym.errors import ConfigError

    with pytest.raises(ConfigError, match="names no task"):
        skyrl_gym.make(register("MultiHopQA-v0"), extras={})
