"""One policy grammar: every command that takes ``--policy`` parses the same specs and refuses the same ones alike."""

from __future__ import annotations

import pickle

import pytest

from agent_gym.baselines.policies.spec import PolicySpec
from agent_gym.cli import leaderboard, rollout, train
from agent_gym.errors import ConfigError

SHIPPED = "baselines/trained/sft"  # an adapter folder in the repository: a checkpoint folder spec
COMMANDS = ["rollout", "train", "leaderboard"]
GOOD = [
    ("oracle", "name", "oracle"),
    ("sft", "name", "SFT"),
    ("embedded", "name", "embedded"),
    ("http://10.0.0.2:8000/v1", "endpoint", "10.0.0.2:8000"),
    ("http://a:8000/v1,http://b:8000/v1#qwen", "endpoint", "qwen@a:8000+b:8000"),
    (SHIPPED, "checkpoint", "sft"),
    ("agent_gym.baselines.policies.oracle:OraclePolicy", "import", "agent_gym.baselines.policies.oracle:OraclePolicy"),
]
BAD = [
    ("orcle", "unknown policy 'orcle'. Did you mean 'oracle'?"),
    ("runs/missing", "no checkpoint folder 'runs/missing'"),
    ("missing.gguf", "no GGUF file 'missing.gguf'"),
    ("a-b:c d", "is not module:attribute"),
    ("http://a:8000/v1,ftp://b", "a server URL must start with http:// or https://, got 'ftp://b'"),
    ("", "got an empty string"),
]


def _parse(command: str, spec: str):
    """The parsed ``--policy`` of ``command``'s own argument parser."""
    argv = {
        "rollout": ["KeyValueLookup-v0", "--policy", spec],
        "train": ["grpo", "--env", "KeyValueLookup-v0", "--output-dir", "unused", "--policy", spec],
        "leaderboard": ["--policy", spec],
    }[command]
    parser = {"rollout": rollout._parser, "train": train._parser, "leaderboard": leaderboard._parser}[command]()
    args = parser.parse_args(argv)
    return args.policy[0] if command == "leaderboard" else args.policy


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("spec", "kind", "label"), GOOD)
def test_every_command_parses_the_same_specs(command, spec, kind, label):
    parsed = _parse(command, spec)
    assert parsed == PolicySpec.parse(spec)
    assert (parsed.kind, parsed.label) == (kind, label)


@pytest.mark.parametrize(("spec", "message"), BAD)
def test_every_command_refuses_a_bad_spec_with_the_same_message(spec, message, capsys):
    errors = []
    for command in COMMANDS:
        with pytest.raises(SystemExit) as exit_:
            _parse(command, spec)
        assert exit_.value.code == 2
        errors.append(capsys.readouterr().err.strip().splitlines()[-1].split("argument --policy: ", 1)[1])
    assert message in errors[0]
    assert errors == [errors[0]] * len(COMMANDS)  # the same words from every command
    with pytest.raises(ConfigError) as exc:
        PolicySpec.parse(spec)
    assert str(exc.value) == errors[0]


def test_a_name_wins_over_a_folder_of_that_name_which_is_given_as_a_path(tmp_path, monkeypatch):
    (tmp_path / "oracle").mkdir()
    monkeypatch.chdir(tmp_path)
    assert PolicySpec.parse("oracle").kind == "name"
    assert PolicySpec.parse("./oracle").kind == "checkpoint"


def test_the_builder_of_each_kind_builds_the_policy_and_pickles_for_ray_workers():
    oracle = PolicySpec.parse("oracle").builder()
    assert type(pickle.loads(pickle.dumps(oracle))()).__name__ == "OraclePolicy"
    imported = PolicySpec.parse("agent_gym.baselines.policies.oracle:OraclePolicy").builder()
    assert type(pickle.loads(pickle.dumps(imported))()).__name__ == "OraclePolicy"
    with pytest.raises(ConfigError, match="cannot import policy 'no_such_module_xyz:thing'"):
        PolicySpec.parse("no_such_module_xyz:thing").builder()


def test_options_are_checked_against_the_backend_before_anything_loads():
    with pytest.raises(ConfigError, match="unknown policy option 'max_new_token'. Did you mean 'max_new_tokens'?"):
        PolicySpec.parse("sft").check_options({"max_new_token": 8})
    with pytest.raises(ConfigError, match="batch_size"):
        PolicySpec.parse(SHIPPED).check_options({"batch_size": 0})
    with pytest.raises(ConfigError, match="needs model=PATH"):
        PolicySpec.parse("transformers").check_options({})
    PolicySpec.parse("http://127.0.0.1:9/v1").check_options({"max_new_tokens": 8, "batch_size": 4})  # mapped, dropped


@pytest.mark.parametrize("spec", ["oracle", "http://127.0.0.1:9/v1", "agent_gym.baselines.policies.oracle:OraclePolicy"])
def test_train_refuses_a_spec_that_names_no_local_model_before_loading_anything(spec, tmp_path, capsys):
    argv = ["grpo", "--env", "KeyValueLookup-v0", "--steps", "1", "--output-dir", str(tmp_path / "out"), "--policy", spec]
    assert train.main(argv) == 1
    assert f"training needs a local model, got policy {spec!r}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_shipped_agent_is_a_local_model_train_can_start_from():
    spec = PolicySpec.parse("sft")
    assert spec.local_model and spec.model_path().name == "sft"
    assert (spec.model_path() / "adapter_config.json").is_file()
    assert PolicySpec.parse("embedded").model_path() is None
