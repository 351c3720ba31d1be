"""An oracle policy (search each gold title, answer the gold answer) scores EM 1.0, and the process reward shows its hits."""

import json

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401


def oracle_episode(env, index):
    """Play the oracle on question ``index``; return (reset info, step infos, rewards)."""
    _, info = env.reset(options={"index": index})
    steps, rewards = [], []
    for title in info["supporting_titles"]:
        call = json.dumps({"name": "search", "arguments": {"query": title}})
        _, reward, _, _, step = env.step(f"<tool_call>{call}</tool_call>")
        steps.append(step)
        rewards.append(reward)
    _, reward, terminated, _, step = env.step(f"<answer>{info['answers'][0]}</answer>")
    assert terminated
    return info, steps + [step], rewards + [reward]


@pytest.mark.parametrize(
    ("env_id", "min_full_recall"), [("HotpotQA-v0", 0.95), ("TwoWikiMultihopQA-v0", 0.95), ("MuSiQue-v0", 0.75)]
)
def test_oracle_scores_em_1_and_process_components_show_the_hits(env_id, min_full_recall):
    env = gym.make(env_id, reward="process").unwrapped
    full = 0
    indices = range(env.num_questions)  # every bundled dev question
    for index in indices:
        info, steps, rewards = oracle_episode(env, index)
        found = steps[-1]["retrieval_hits"]
        hits = sum(s["reward_components"]["retrieval_hit"] for s in steps)
        assert hits == pytest.approx(0.1 * found)  # each gold paragraph pays once, when first retrieved
        retrieved = {item["id"] for s in steps for r in s["tool_results"] for item in r["items"]}
        assert found == len(retrieved & set(info["supporting_ids"]))
        assert steps[-1]["metrics"]["em"] == 1.0
        if found == steps[-1]["supporting_total"]:
            full += 1
            assert steps[-1]["reward_components"]["outcome"] == 1.0
    assert full / len(indices) >= min_full_recall


def test_retrieval_hit_is_zero_for_searches_that_miss_and_for_repeats():
    env = gym.make("HotpotQA-v0", reward="process").unwrapped
    _, info = env.reset(options={"index": 0})
    miss = json.dumps({"name": "search", "arguments": {"query": "Paris capital of France"}})
    hit = json.dumps({"name": "search", "arguments": {"query": info["supporting_titles"][0]}})
    assert env.step(f"<tool_call>{miss}</tool_call>")[4]["reward_components"]["retrieval_hit"] == 0.0
    first = env.step(f"<tool_call>{hit}</tool_call>")[4]["reward_components"]
    again = env.step(f"<tool_call>{hit}</tool_call>")[4]["reward_components"]
    assert first["retrieval_hit"] == pytest.approx(0.1) and first["repeated_call"] == 0.0
    assert again["retrieval_hit"] == 0.0 and again["repeated_call"] == pytest.approx(-0.05)
