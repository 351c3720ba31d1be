"""The agent-gym command: list, check, play, and helpful failures."""

import io
import subprocess
import sys

from agent_gym.cli import check, list_envs, play
from agent_gym.cli.main import main


def test_list_shows_ids_with_descriptions(capsys):
    assert list_envs.main([]) == 0
    rows = capsys.readouterr().out.splitlines()
    line = next(row for row in rows if row.strip().startswith("KeyValueLookup-v0 "))
    assert "Follow a chain of keys" in line
    team = rows.index("Multi-agent (agent_gym.multiagent.make, PettingZoo ParallelEnv):")
    assert any(row.strip().startswith("MultiHopQATeam-v0 ") for row in rows[team:])


def test_check_passes_and_reports_unknown_ids(capsys):
    assert check.main(["KeyValueLookup-v0", "-k", 'noise="heavy"']) == 0
    assert "gymnasium.utils.env_checker.check_env passed" in capsys.readouterr().out
    assert check.main(["KeyValueLookp-v0"]) == 1
    assert "Did you mean 'KeyValueLookup-v0'?" in capsys.readouterr().err


def test_play_runs_a_whole_episode_from_stdin():
    import gymnasium as gym

    chain = gym.make("KeyValueLookup-v0").reset(seed=3)[1]
    turns = [f'<tool_call>{{"name": "lookup", "arguments": {{"key": "{k}"}}}}</tool_call>' for k in chain["chain"]]
    stdin = io.StringIO("\n".join(turns + [f"<answer>{chain['answer']}</answer>", ":quit"]) + "\n")
    out = io.StringIO()
    assert play.main(["KeyValueLookup-v0", "--seed", "3"], stdin=stdin, stdout=out) == 0
    text = out.getvalue()
    assert f"{chain['chain'][-1]} = {chain['answer']}" in text
    assert "episode over (answered); metrics: {'em': 1.0}" in text


def test_unknown_command_suggests(capsys):
    assert main(["lst"]) == 2
    assert "Did you mean 'list'?" in capsys.readouterr().err


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "agent_gym.cli.main", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "leaderboard" in out.stdout
