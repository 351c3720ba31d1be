"""``agent-gym rollout``."""

from __future__ import annotations

from agent_gym.cli.main import main
from agent_gym.rollout import read_episodes


def test_rollout_writes_episodes_and_a_summary(tmp_path, capsys):
    out = tmp_path / "kv.jsonl"
    assert (
        main(["rollout", "KeyValueLookup-v0", "--policy", "oracle", "-n", "3", "-c", "2", "--out", str(out), "--no-progress"])
        == 0
    )
    episodes = list(read_episodes(out))
    assert [e.seed for e in episodes] == [0, 1, 2] and all(e.metrics["em"] == 1.0 for e in episodes)
    assert capsys.readouterr().out.startswith("3 episodes, 9 turns in ")


def test_env_kwargs_and_policy_options_are_passed(tmp_path):
    out = tmp_path / "kv.jsonl"
    argv = [
        "rollout",
        "KeyValueLookup-v0",
        "-k",
        "hops=3",
        "-p",
        "search_tool=lookup",
        "-n",
        "1",
        "-o",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    assert len(next(read_episodes(out)).steps) == 4


def test_unknown_env_and_bad_options_fail_with_a_message(tmp_path, capsys):
    assert main(["rollout", "KeyValueLookp-v0", "-o", str(tmp_path / "x.jsonl")]) == 2
    assert "Did you mean 'KeyValueLookup-v0'?" in capsys.readouterr().err
    assert main(["rollout", "KeyValueLookup-v0", "-p", "oops", "-o", str(tmp_path / "x.jsonl")]) == 2
    assert "--policy-arg expects KEY=VALUE, got 'oops'" in capsys.readouterr().err
