"""The multi-agent package's public names are pinned, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import agent_gym.multiagent


def test_exported_names_are_pinned():
    assert sorted(agent_gym.multiagent.__all__) == [
        "ANSWERER",
        "AnswererEnv",
        "RelayAnswerer",
        "SEARCHER",
        "TeamEnvSpec",
        "TeamEpisode",
        "TeamToolEnv",
        "make",
        "make_aec",
        "read_report",
        "register_team_env",
        "registered_team_envs",
        "run_team_episode",
        "run_team_episodes",
    ]
    for name in agent_gym.multiagent.__all__:
        assert hasattr(agent_gym.multiagent, name), name


def test_import_does_not_load_torch():
    code = "import agent_gym.multiagent, sys; print([m for m in ('torch', 'transformers', 'trl') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
