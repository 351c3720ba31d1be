"""`agent-gym check` checks a user's own env, given as an entry point, and fails it on a broken contract."""

import textwrap

import pytest

from agent_gym.cli import check

OWN_ENV = """
import gymnasium as gym
from agent_gym.testing import ArithmeticEnv


class MyEnv(ArithmeticEnv):
    pass


class IgnoresIndex(ArithmeticEnv):
    num_tasks = 10  # declared, so the index rule is an error (undeclared: a dated warning)

    def sample_task(self, options):
        return super().sample_task({})


def make_my_env(**kwargs):
    return MyEnv(**kwargs)


def not_an_env(**kwargs):
    return 42


if "MyOwn-v0" not in gym.registry:
    gym.register("MyOwn-v0", entry_point=MyEnv)
"""


@pytest.fixture
def own_module(tmp_path, monkeypatch):
    name = f"own_env_{tmp_path.name.replace('-', '_')}"  # a fresh module per test
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(OWN_ENV))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


@pytest.mark.parametrize("attr", ["MyEnv", "make_my_env", "MyOwn-v0"])
def test_an_env_given_as_module_and_class_factory_or_id_is_checked(own_module, attr, capsys):
    assert check.main([f"{own_module}:{attr}", "-k", "reward=process"]) == 0
    assert f"{own_module}:{attr}: agent_gym.utils.check_env passed" in capsys.readouterr().out


def test_a_broken_own_env_fails_with_the_property_it_breaks(own_module, capsys):
    assert check.main([f"{own_module}:IgnoresIndex"]) == 1
    assert "FAILED: [reset_options] reset(options={'index': 0}) gave different tasks" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:Env", "cannot import 'no_such_module_xyz'"),
        ("{module}:Missing", "has no env class, factory or registered id 'Missing'"),
        ("{module}:not_an_env", "returned a 'int' object, not a gymnasium.Env"),
    ],
)
def test_bad_entry_points_say_what_is_wrong(own_module, spec, message, capsys):
    assert check.main([spec.format(module=own_module)]) == 1
    assert message in capsys.readouterr().err
