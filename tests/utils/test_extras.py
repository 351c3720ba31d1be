"""Extras: a command that needs one it lacks says which, in one line, with the pip command."""

import importlib.util

import pytest

from agent_gym.cli.main import main as agent_gym_main
from agent_gym.errors import ConfigError, MissingDependency
from agent_gym.utils.extras import EXTRAS, missing_modules, require_extra


@pytest.fixture
def without_torch(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))


def test_a_missing_module_is_named_with_the_pip_command(without_torch):
    assert missing_modules("train") == ["torch"]
    with pytest.raises(MissingDependency) as caught:
        require_extra("train", "agent-gym train")
    assert str(caught.value) == (
        "agent-gym train needs the 'train' extra (missing: torch); install it with: pip install 'agent-gym[train]'"
    )


def test_the_cli_refuses_before_importing_the_command(without_torch, capsys):
    assert agent_gym_main(["train", "sft", "--env", "MultiHopQA-v0", "--output-dir", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "agent-gym: agent-gym train needs the 'train' extra (missing: torch); install it with: pip install 'agent-gym[train]'"
    ]


def test_every_extra_is_installed_here_and_unknown_ones_are_refused():
    assert {extra: missing_modules(extra) for extra in EXTRAS} == {extra: [] for extra in EXTRAS}
    with pytest.raises(ConfigError, match="unknown extra 'gpu'"):
        missing_modules("gpu")
