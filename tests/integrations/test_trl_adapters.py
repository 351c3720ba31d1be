"""The TRL adapters without a model: the environment_factory adapter's tool methods, rewards and schema, the
reward functions, and that ``import agent_gym.integrations.trl`` stays light."""

import subprocess
import sys

import pytest

import agent_gym  # noqa: F401
from agent_gym.errors import DivergenceError
from agent_gym.integrations.trl import env_reward, environment_factory, environment_reward


def _answer(adapter):
    return adapter._env.unwrapped.task.info["answer"]


def test_environment_factory_exposes_typed_documented_tools_trl_can_schema():
    from transformers.utils import get_json_schema

    adapter = environment_factory("KeyValueLookup-v0", hops=1)()
    schema = get_json_schema(type(adapter).lookup)["function"]
    assert schema["name"] == "lookup"
    assert schema["parameters"]["properties"]["key"]["type"] == "string"
    assert schema["parameters"]["required"] == ["key"]
    assert "Read the value stored under a key" in schema["description"]


def test_adapter_plays_an_episode_and_environment_reward_scores_the_final_message():
    make = environment_factory("KeyValueLookup-v0", hops=1, reward="process")
    adapter = make()
    text = adapter.reset(task_index=7)
    chain = adapter._env.unwrapped.task.info["chain"]
    assert f"Start at key '{chain[0]}'" in text
    assert "No key 'nope' exists" in adapter.lookup(key="nope")
    assert adapter.lookup(key=chain[0]).endswith(_answer(adapter))
    rewards = environment_reward([[{"role": "assistant", "content": f"<answer>{_answer(adapter)}</answer>"}]], [adapter])
    assert rewards[0] == pytest.approx(adapter._return) and rewards[0] > 0.9
    wrong = make()
    wrong.reset(task_index=7)
    assert environment_reward([[{"role": "assistant", "content": "<answer>nothing</answer>"}]], [wrong])[0] < 0.1


def test_adapter_answers_politely_after_the_turn_limit():
    adapter = environment_factory("KeyValueLookup-v0", hops=1, max_turns=1)()
    adapter.reset(task_index=0)
    adapter.lookup(key="a")
    assert adapter.lookup(key="b") == "The episode is over: give your final answer."
    assert environment_reward(["ignored"], [adapter]) == [adapter._return]


def test_env_reward_passes_returns_and_stops_on_nan():
    assert env_reward(["x"], env_reward=[0.25]) == [0.25]
    with pytest.raises(DivergenceError, match="step 1: an episode return is nan"):
        env_reward(["x"], env_reward=[float("nan")])


def test_importing_the_trl_adapter_imports_neither_trl_nor_torch():
    code = "import sys, agent_gym.integrations.trl; print(any(m in sys.modules for m in ('trl', 'torch')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_public_names_are_pinned():
    import agent_gym.integrations.rollouts as rollouts
    import agent_gym.integrations.trl as trl

    assert sorted(trl.__all__) == ["EnvRolloutFunc", "env_reward", "environment_factory", "environment_reward", "task_dataset"]
    assert sorted(rollouts.__all__) == ["Sample", "TrainingRollouts"]


@pytest.mark.parametrize(
    "name",
    [
        "agent_gym.integrations.trl",
        "agent_gym.integrations.rollouts",
        "agent_gym.cli.train",
        "agent_gym.benchmarks.learning",
        "agent_gym.baselines.grpo.config",
        "agent_gym.baselines.grpo.recipe",
        "agent_gym.baselines.ppo.trainer",
        "agent_gym.baselines.ppo.loop",
        "agent_gym.baselines.ppo.config",
    ],
)
def test_docstring_examples(name):
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(name)).failed == 0
