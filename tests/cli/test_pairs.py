"""One KEY=VALUE parser for every repeatable option of the agent-gym command."""

import pytest

from agent_gym.cli import leaderboard, rollout
from agent_gym.cli._pairs import parse_pairs
from agent_gym.errors import ConfigError


def test_values_are_json_when_they_parse_and_text_otherwise():
    parsed = parse_pairs(['reward={"overlong": 1}', "hops=2", "name=x", "empty=", "eq=a=b"], "-k")
    assert parsed == {"reward": {"overlong": 1}, "hops": 2, "name": "x", "empty": "", "eq": "a=b"}


@pytest.mark.parametrize("pair", ["novalue", "=1"])
def test_a_pair_without_a_key_names_the_flag(pair):
    with pytest.raises(ConfigError, match=rf"--set expects KEY=VALUE, got '{pair}'"):
        parse_pairs([pair], "--set")


@pytest.mark.parametrize(
    ("module", "argv", "flag"),
    [
        (rollout, ["KeyValueLookup-v0", "-k", "oops"], "--kwarg"),
        (rollout, ["KeyValueLookup-v0", "-p", "oops"], "--policy-arg"),
        (leaderboard, ["--env-kwarg", "oops"], "--env-kwarg"),
        (leaderboard, ["--policy-arg", "oops"], "--policy-arg"),
    ],
)
def test_every_subcommand_reports_a_bad_pair_the_same_way(module, argv, flag, capsys, tmp_path):
    assert module.main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert f"{flag} expects KEY=VALUE, got 'oops'" in capsys.readouterr().err
