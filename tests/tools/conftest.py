"""Shared fixtures of the ToolEnv tests."""

import pytest

from agent_gym.testing import ArithmeticEnv


@pytest.fixture
def env():
    """An ArithmeticEnv with the process rubric, reset to the task 2 + 3."""
    env = ArithmeticEnv(reward="process", max_turns=4)
    env.reset(seed=0, options={"operands": [2, 3]})
    yield env
    env.close()
