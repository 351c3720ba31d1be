"""The docstring examples of the leaderboard, bench and baseline modules run (the package-wide doctest test
walks ``agent_gym/`` only, and these rooms install as ``agent_gym.benchmarks`` / ``agent_gym.baselines``)."""

import doctest
import importlib

import pytest

MODULES = [
    "agent_gym.baselines.method",
    "agent_gym.baselines.naive_rag",
    "agent_gym.baselines.base_tool_call",
    "agent_gym.benchmarks.leaderboard.config",
    "agent_gym.benchmarks.leaderboard.folder",
    "agent_gym.benchmarks.leaderboard.policies",
    "agent_gym.benchmarks.leaderboard.runner",
    "agent_gym.benchmarks.leaderboard.stats",
    "agent_gym.benchmarks.leaderboard.store",
    "agent_gym.benchmarks.leaderboard.report",
    "agent_gym.benchmarks.perf",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_there_are_examples_to_run():
    attempted = sum(doctest.testmod(importlib.import_module(name)).attempted for name in MODULES)
    assert attempted >= 10
