"""GEM 0.1: MultiHopQA-v0 episodes through ``gem.make`` and ``gem.make_vec`` equal our own episodes for the same
seeds (``make_vec`` gives env ``i`` the seed ``seed + i``)."""

import json

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401

gem = pytest.importorskip("gem")

from agent_gym.integrations.gem import register  # noqa: E402


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


def _play(env):
    obs, info = env.reset()
    assert obs == info["messages"][-1]["content"]
    rewards = []
    for action in _actions(info):
        obs, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        if terminated or truncated:
            break
    return info["messages"], rewards


def test_gem_make_plays_our_episode_for_the_same_seed():
    messages, rewards = _play(gem.make(register("MultiHopQA-v0"), seed=5))
    want_messages, want_rewards, _ = _ours(5)
    assert messages == want_messages
    assert rewards == want_rewards and rewards[-1] > 0


def test_make_vec_seeds_are_reproducible_and_match_our_episodes():
    vec = gem.make_vec([register("MultiHopQA-v0")] * 3, seed=20)
    _, infos = vec.reset()
    got = [info["task_id"] for info in infos]
    assert got == [_ours(20 + i)[2]["task_id"] for i in range(3)]
    again = gem.make_vec([register("MultiHopQA-v0")] * 3, seed=20)
    assert [info["task_id"] for info in again.reset()[1]] == got
    for i, env in enumerate(vec.envs):
        _, info = env.reset(seed=20 + i)
        history, rewards = [], []
        for action in _actions(info):
            _, reward, terminated, truncated, info = env.step(action)
            rewards.append(reward)
            history = info["messages"]
            if terminated or truncated:
                break
        want_messages, want_rewards, _ = _ours(20 + i)
        assert history == want_messages and rewards == want_rewards
