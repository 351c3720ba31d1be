"""MultiHopQA's reward="process" weights, pinned: the training runs rely on exactly these."""

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401  (registers the envs)
from agent_gym.errors import ConfigError
from agent_gym.rewards import Rubric

MULTIHOPQA_PROCESS = {
    "outcome": 1.0,
    "format_error": 0.1,
    "invalid_call": 0.1,
    "tool_error": 0.05,
    "repeated_call": 0.05,
    "turn_cost": 0.01,
    "overlong": 0.1,
    "retrieval_hit": 0.1,
}


def test_multihopqa_process_pays_exactly_these_weights():
    env = gym.make("MultiHopQA-v0", reward="process")
    assert dict(env.unwrapped.rubric.weights) == MULTIHOPQA_PROCESS
    env.close()


def test_the_unknown_component_error_says_where_retrieval_hit_comes_from():
    with pytest.raises(ConfigError, match=r"unknown reward component 'retrieval_hit'.*env\.unwrapped\.rubric"):
        Rubric(weights={"retrieval_hit": 0.1})
