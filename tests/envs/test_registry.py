"""Every registered env passes both checkers, is deterministic with noise on, and vectorises."""

import json
import math
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_gym.registry
from agent_gym.registry import registered_envs
from agent_gym.testing import schema_calls
from agent_gym.testing.strategies import actions, hostile_message_actions, hostile_texts
from agent_gym.utils import check_env

ENV_IDS = sorted(registered_envs())


def test_registry_is_not_empty_and_ids_are_versioned():
    assert "KeyValueLookup-v0" in ENV_IDS
    for env_id in ENV_IDS:
        assert env_id.rsplit("-v", 1)[1].isdigit(), f"{env_id} must end with its version"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_agent_gym_check_env(env_id):
    check_env(gym.make(env_id, noise="heavy", reward="process"))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_check_env(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # gymnasium's warnings are contract findings too
        gymnasium_check_env(gym.make(env_id).unwrapped, skip_render_check=True)


def _episode(env, seed, turns):
    obs, info = env.reset(seed=seed)
    transcript = [json.dumps([obs, info], sort_keys=True)]
    for action in turns:
        obs, reward, terminated, truncated, info = env.step(action)
        transcript.append(json.dumps([obs, reward, terminated, truncated, info], sort_keys=True))
        if terminated or truncated:
            break
    return transcript


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_episode_with_noise_on_across_instances(env_id):
    first, second = (gym.make(env_id, noise="heavy", reward="process") for _ in range(2))
    turns = schema_calls(first.unwrapped) * 4 + ["<answer>x</answer>"]
    assert _episode(first, 7, turns) == _episode(second, 7, turns)
    assert _episode(first, 7, turns) != _episode(first, 8, turns)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_envs_are_deterministic_with_noise_on(mode):
    env_id = "KeyValueLookupNoisy-v0"
    kwargs = {"vector_kwargs": {"shared_memory": False}} if mode == "async" else {}

    def run():
        envs = gym.make_vec(env_id, num_envs=3, vectorization_mode=mode, **kwargs)
        obs, infos = envs.reset(seed=11)
        chains = infos["chain"]
        trace = [json.dumps(obs, sort_keys=True)]
        for hop in range(2):
            actions = tuple(f'<tool_call>{{"name": "lookup", "arguments": {{"key": "{c[hop]}"}}}}</tool_call>' for c in chains)
            obs, rewards, terminated, truncated, infos = envs.step(actions)
            trace.append(
                json.dumps(
                    [obs, rewards.tolist(), infos["latency_s"].tolist(), infos["tool_results"].tolist()],
                    sort_keys=True,
                    default=str,
                )
            )
        envs.close()
        return trace, obs

    first, obs = run()
    assert first == run()[0]
    assert len(obs) == 3 and all(isinstance(o, tuple) for o in obs)
    assert len({json.dumps(o) for o in obs}) == 3  # each sub-env got its own seed


def test_async_vector_env_with_shared_memory_explains_the_fix():
    with pytest.raises(TypeError, match="shared_memory=False"):
        gym.make_vec("KeyValueLookup-v0", num_envs=2, vectorization_mode="async")


def test_descriptions_live_in_gymnasiums_env_specs():
    spec = gym.spec("HotpotQA-v0")
    assert isinstance(spec, agent_gym.registry.AgentGymEnvSpec) and spec.kwargs == {"dataset": "hotpotqa"}
    assert registered_envs()["HotpotQA-v0"] == spec.description
    assert gym.make("HotpotQA-v0").spec.id == "HotpotQA-v0"


def test_registering_again_is_idempotent():
    before = registered_envs()
    agent_gym.registry.register_builtin_envs()
    assert registered_envs() == before
    assert {entry[0] for entry in agent_gym.registry.BUILTIN_ENVS} <= set(before)


_ENVS: dict[str, gym.Env] = {}


@pytest.mark.parametrize("env_id", ENV_IDS)
@settings(max_examples=300)
@given(text=actions(), seed=st.integers(0, 2**16))
def test_step_never_raises_on_any_text(env_id, text, seed):
    env = _ENVS.setdefault(env_id, gym.make(env_id, noise="light", reward="process"))
    before, _ = env.reset(seed=seed)
    obs, reward, terminated, truncated, info = env.step(text)
    assert obs[: len(before)] == before
    assert math.isfinite(reward) and math.isclose(sum(info["reward_components"].values()), reward, abs_tol=1e-9)
    json.dumps(info)


@pytest.mark.parametrize("env_id", ENV_IDS)
@settings(max_examples=60, deadline=None)
@given(
    turns=st.lists(st.one_of(hostile_message_actions(["search", "lookup"]), hostile_texts(["search", "lookup"])), max_size=4),
    seed=st.integers(0, 2**16),
)
def test_step_never_raises_on_hostile_content_and_stays_in_the_space(env_id, turns, seed):
    env = _ENVS.setdefault(env_id, gym.make(env_id, noise="light", reward="process"))
    obs, _ = env.reset(seed=seed)
    for action in turns:
        before = obs
        obs, reward, terminated, truncated, info = env.step(action)
        assert env.observation_space.contains(obs) and obs[: len(before)] == before
        assert math.isfinite(reward)
        json.dumps(info, allow_nan=False)
        if terminated or truncated:
            break
