"""PettingZoo's own checkers pass on every team env: parallel and AEC API tests, parallel and AEC seed tests."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

from agent_gym.multiagent import keyvaluelookup_team_v0, make, make_aec, multihopqa_team_v0, registered_team_envs
from agent_gym.multiagent.registry import spec

KWARGS = {"reward": "process", "noise": "heavy"}  # every reward component and every noise draw in play


def _available(env_id: str) -> bool:
    return spec(env_id).inner_id in gym.registry


TEAM_IDS = [
    pytest.param(
        env_id, marks=pytest.mark.skipif(not _available(env_id), reason=f"{spec(env_id).inner_id} is not registered yet")
    )
    for env_id in registered_team_envs()
]


@pytest.fixture(autouse=True)
def _quiet_text_space_advice():
    # Any PettingZoo warning is a finding (e.g. "Live agent was not given reward"), except its advice to use
    # Box/Discrete spaces and numpy observations, which text envs decline on purpose.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="Observation is not a NumPy array")
        warnings.filterwarnings("ignore", message=".* space for each agent probably should be gymnasium.spaces.box")
        yield


@pytest.mark.parametrize("env_id", TEAM_IDS)
def test_parallel_api_test(env_id):
    parallel_api_test(make(env_id, **KWARGS), num_cycles=100)


@pytest.mark.parametrize("env_id", TEAM_IDS)
def test_aec_api_test(env_id):
    api_test(make_aec(env_id, **KWARGS), num_cycles=100)


@pytest.mark.parametrize("env_id", TEAM_IDS)
def test_parallel_seed_test(env_id):
    parallel_seed_test(lambda: make(env_id, **KWARGS))


@pytest.mark.parametrize("env_id", TEAM_IDS)
def test_aec_seed_test(env_id):
    seed_test(lambda: make_aec(env_id, **KWARGS))


@pytest.mark.parametrize("module", [keyvaluelookup_team_v0, multihopqa_team_v0])
def test_modules_follow_pettingzoo_conventions(module):
    if not _available(module.ENV_ID):
        pytest.skip(f"{spec(module.ENV_ID).inner_id} is not registered yet")
    parallel, aec = module.parallel_env(), module.env()
    assert str(parallel) == str(aec) == spec(module.ENV_ID).pettingzoo_name
    aec.reset(seed=0)
    assert aec.agent_selection == "searcher_0"
    assert aec.unwrapped is not aec and type(aec.unwrapped) is type(parallel)


def test_the_aec_form_plays_both_roles_to_the_end():
    """The seed and API tests only pass if the AEC wrapper reaches the answerer's turn; check it does."""
    env = make_aec("KeyValueLookupTeam-v0")
    env.reset(seed=3)
    seen = []
    for agent in env.agent_iter(50):
        _, _, terminated, truncated, info = env.last()
        seen.append((agent, info.get("acting")))
        env.step(None if terminated or truncated else "<answer>x</answer>")
    assert ("answerer_0", True) in seen
    assert env.agents == []
