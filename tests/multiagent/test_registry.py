"""The multi-agent registry: ids, "did you mean", kwargs routing, registration rules."""

from __future__ import annotations

import pytest

from agent_gym.errors import ConfigError
from agent_gym.multiagent import make, register_team_env, registered_team_envs, registry
from agent_gym.multiagent.registry import spec


def test_builtin_team_envs_are_registered_with_versioned_ids():
    assert {"KeyValueLookupTeam-v0", "MultiHopQATeam-v0"} <= set(registered_team_envs())
    assert spec("MultiHopQATeam-v0").inner_id == "MultiHopQA-v0"
    assert spec("MultiHopQATeam-v0").pettingzoo_name == "multihopqa_team_v0"


def test_team_envs_live_in_pettingzoos_own_registry():
    from pettingzoo.env_registry import registration

    parallel = registration.make("parallel", "MultiHopQATeam-v0", reward="process")
    aec = registration.make("aec", "KeyValueLookupTeam-v0")
    assert parallel.metadata["name"] == "multihopqa_team_v0" and parallel.searcher_env.rubric.weights
    assert aec.metadata["name"] == "keyvaluelookup_team_v0"
    assert registration.spec("parallel", "MultiHopQATeam-v0").description == registered_team_envs()["MultiHopQATeam-v0"]


@pytest.mark.parametrize(
    ("env_id", "suggestion"),
    [
        ("MultiHopQATeam-v1", "MultiHopQATeam-v0"),
        ("KeyValueLookupTeam", "KeyValueLookupTeam-v0"),
        ("multihopqateam-v0", "MultiHopQATeam-v0"),
    ],
)
def test_unknown_ids_get_a_did_you_mean(env_id, suggestion):
    with pytest.raises(ConfigError, match=f"no multi-agent env '{env_id}'.*Did you mean '{suggestion}'"):
        make(env_id)


def test_kwargs_reach_the_team_or_the_wrapped_env():
    env = make(
        "KeyValueLookupTeam-v0", tool_format="search_r1", reward="process", hops=3, answerer_max_turns=4, render_mode="ansi"
    )
    assert env.searcher_env.format.name == "search_r1" and env.searcher_env.hops == 3
    assert env.answerer_env.format is env.searcher_env.format and env.answerer_env.rubric is env.searcher_env.rubric
    assert env.answerer_env.max_turns == 4 and env.render_mode == "ansi"
    env.reset(seed=0)
    assert "=== answerer_0 ===" in env.render()


def test_registration_rules(monkeypatch):
    for table in (registry.pettingzoo_registry.parallel_registry, registry.pettingzoo_registry.aec_registry):
        monkeypatch.setitem(table, "ArithmeticLikeTeam-v0", None)  # removed again when the test ends
        del table["ArithmeticLikeTeam-v0"]
    register_team_env("ArithmeticLikeTeam-v0", "KeyValueLookup-v0", "a test entry")
    register_team_env("ArithmeticLikeTeam-v0", "KeyValueLookup-v0", "a test entry")  # same spec again: no-op
    assert spec("ArithmeticLikeTeam-v0").pettingzoo_name == "arithmeticliketeam_v0"
    assert "ArithmeticLikeTeam-v0" in registered_team_envs()
    with pytest.raises(ConfigError, match="already registered"):
        register_team_env("ArithmeticLikeTeam-v0", "KeyValueLookupNoisy-v0", "another")
    with pytest.raises(ConfigError, match="end with their version"):
        register_team_env("NoVersionTeam", "KeyValueLookup-v0", "x")
