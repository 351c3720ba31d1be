"""TeamToolEnv: the turn-taking protocol, rewards, determinism, and robustness to any text from any agent."""

from __future__ import annotations

import functools
import json

import gymnasium as gym
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_gym.errors import ConfigError, InvalidActionError, ResetNeeded
from agent_gym.multiagent import ANSWERER, SEARCHER, TeamToolEnv, make
from agent_gym.multiagent.team import NO_REPORT, SEARCHER_NOTE
from agent_gym.testing import ArithmeticEnv, adversarial_actions, schema_calls
from agent_gym.testing.strategies import actions as action_texts

TEAM_IDS = ["KeyValueLookupTeam-v0", "MultiHopQATeam-v0"]


def lookup(key: str) -> str:
    return f'<tool_call>{{"name": "lookup", "arguments": {{"key": "{key}"}}}}</tool_call>'


def solve(env: TeamToolEnv, seed: int, answer: str | None = None):
    """Play the chain, report the answer, then answer (``answer`` overrides the answerer's answer)."""
    _, infos = env.reset(seed=seed)
    chain, gold = infos[SEARCHER]["chain"], infos[SEARCHER]["answer"]
    transitions = [env.step({SEARCHER: lookup(key), ANSWERER: "ignored while waiting"}) for key in chain]
    transitions.append(env.step({SEARCHER: f"<answer>{gold}</answer>"}))
    transitions.append(env.step({ANSWERER: f"<answer>{gold if answer is None else answer}</answer>"}))
    return transitions


def test_searcher_plays_the_single_agent_env_and_its_answer_reaches_the_answerer():
    env, single = make("KeyValueLookupTeam-v0"), gym.make("KeyValueLookup-v0").unwrapped
    observations, infos = env.reset(seed=5)
    history, info = single.reset(seed=5)
    assert infos[SEARCHER]["task_id"] == info["task_id"] == infos[ANSWERER]["task_id"]
    assert observations[SEARCHER]["history"][1] == history[1]  # the same question
    assert [infos[a]["acting"] for a in env.agents] == [True, False]
    gold = info["answer"]
    for key in info["chain"]:
        observations, *_ = env.step({SEARCHER: lookup(key)})
    assert observations[ANSWERER]["history"] == env.answerer_env.history  # the answerer saw nothing yet
    assert len(observations[ANSWERER]["history"]) == 2
    observations, rewards, terminations, truncations, infos = env.step({SEARCHER: f"<answer>{gold}</answer>"})
    assert observations[ANSWERER]["history"][-1] == {"role": "user", "content": f"Report from searcher_0:\n{gold}"}
    assert infos[ANSWERER]["acting"] and not infos[SEARCHER]["acting"] and env.acting_agent == ANSWERER
    assert terminations == truncations == {SEARCHER: False, ANSWERER: False}
    assert rewards == {SEARCHER: 0.0, ANSWERER: 0.0}  # the report's own score is not paid: the outcome is shared


@pytest.mark.parametrize(("answer", "outcome"), [(None, 1.0), ("wrong", 0.0)])
def test_shared_outcome_is_paid_to_both_agents_at_the_end(answer, outcome):
    env = make("KeyValueLookupTeam-v0")
    *_, (observations, rewards, terminations, truncations, infos) = solve(env, seed=1, answer=answer)
    assert rewards == {SEARCHER: outcome, ANSWERER: outcome}
    assert terminations == {SEARCHER: True, ANSWERER: True} and truncations == {SEARCHER: False, ANSWERER: False}
    assert env.agents == [] and env.acting_agent is None
    for agent in (SEARCHER, ANSWERER):
        assert infos[agent]["team_outcome"] == outcome
        assert infos[agent]["team_metrics"] == {"em": outcome}
        assert infos[agent]["reward_components"]["outcome"] == outcome


def test_process_components_are_per_agent_and_sum_to_the_reward():
    env = make("KeyValueLookupTeam-v0", reward="process")
    transitions = solve(env, seed=2)
    _, rewards, _, _, infos = transitions[0]  # a first-time chain key: the searcher's own signal
    assert infos[SEARCHER]["reward_components"]["chain_progress"] == pytest.approx(0.1)
    assert infos[SEARCHER]["reward_components"]["turn_cost"] == pytest.approx(-0.01)
    assert set(infos[ANSWERER]["reward_components"].values()) == {0.0}  # waiting costs nothing
    _, rewards, _, _, infos = transitions[-1]
    assert infos[ANSWERER]["reward_components"]["turn_cost"] == pytest.approx(-0.01)
    assert rewards == {SEARCHER: pytest.approx(1.0), ANSWERER: pytest.approx(0.99)}
    for _, rewards, _, _, infos in transitions:
        for agent, reward in rewards.items():
            assert reward == pytest.approx(sum(infos[agent]["reward_components"].values()))
            json.dumps(infos[agent])


def test_answerer_tool_calls_are_errors_not_runs():
    env = make("KeyValueLookupTeam-v0", reward="process")
    _, infos = env.reset(seed=0)
    env.step({SEARCHER: "<answer>no idea</answer>"})
    observations, rewards, *_, infos = env.step({ANSWERER: lookup(infos[SEARCHER]["chain"][0])})
    assert infos[ANSWERER]["errors"][0]["kind"] == "unknown_tool"
    assert infos[ANSWERER]["reward_components"]["invalid_call"] == pytest.approx(-0.1)
    assert observations[ANSWERER]["history"][-1]["role"] == "tool"
    assert "no tool named 'lookup'" in observations[ANSWERER]["history"][-1]["content"]


def test_searcher_out_of_turns_hands_over_and_the_answerer_can_run_out_too():
    env = make("KeyValueLookupTeam-v0", answerer_max_turns=1)
    env.reset(seed=0)
    for _ in range(env.searcher_env.max_turns):
        observations, *_ = env.step({SEARCHER: "thinking"})
    assert observations[ANSWERER]["history"][-1]["content"] == NO_REPORT.format(sender=SEARCHER)
    _, rewards, terminations, truncations, infos = env.step({ANSWERER: "still thinking"})
    assert truncations == {SEARCHER: True, ANSWERER: True} and terminations == {SEARCHER: False, ANSWERER: False}
    assert rewards == {SEARCHER: 0.0, ANSWERER: 0.0} and infos[ANSWERER]["team_metrics"] == {}


def test_histories_are_append_only_and_inside_the_observation_spaces():
    env = make("KeyValueLookupTeam-v0", noise="heavy")
    observations, _ = env.reset(seed=4)
    previous = observations
    for observations, *_ in solve(env, seed=4)[1:]:
        for agent, observation in observations.items():
            assert env.observation_space(agent).contains(observation)
            old = previous[agent]["history"]
            assert observation["history"][: len(old)] == old
        previous = observations


def test_misuse_raises_with_the_fix_in_the_message():
    env = make("KeyValueLookupTeam-v0")
    with pytest.raises(ResetNeeded, match="call env.reset"):
        env.step({SEARCHER: "x"})
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="it is the turn of 'searcher_0', but actions has no entry for it"):
        env.step({ANSWERER: "x"})
    with pytest.raises(InvalidActionError, match="not live"):
        env.step({SEARCHER: "x", "player_9": "x"})
    with pytest.raises(InvalidActionError, match="must be a str or an assistant message dict, got int"):
        env.step({SEARCHER: 3})
    with pytest.raises(ConfigError, match="must be a ToolEnv"):
        TeamToolEnv(gym.make("CartPole-v1").unwrapped)


def _play(env, seed, script):
    observations, infos = env.reset(seed=seed)
    log = [json.dumps([observations, infos], sort_keys=True)]
    for searcher_turn, answerer_turn in script:
        if not env.agents:
            break
        log.append(json.dumps(env.step({SEARCHER: searcher_turn, ANSWERER: answerer_turn}), sort_keys=True))
    return log


@pytest.mark.parametrize("env_id", TEAM_IDS)
def test_same_seed_same_episode_with_noise_on(env_id):
    first, second = (make(env_id, noise="heavy", reward="process") for _ in range(2))
    calls = schema_calls(first.searcher_env)  # valid calls: they reach the tool and the noise model
    script = [(call, "wait") for call in calls * 4] + [("<answer>x</answer>", "<answer>x</answer>")] * 2
    assert _play(first, 11, script) == _play(second, 11, script)
    assert _play(first, 11, script) != _play(first, 12, script)


def test_generic_over_any_tool_env():
    inner = ArithmeticEnv(reward="process")
    TeamToolEnv(inner)
    env = TeamToolEnv(inner, name="arithmetic_team_v0")  # wrapping again does not repeat the note
    _, infos = env.reset(seed=0)
    a, b = infos[SEARCHER]["operands"]
    _, _, _, _, infos = env.step({SEARCHER: f'<tool_call>{{"name": "add", "arguments": {{"a": {a}, "b": {b}}}}}</tool_call>'})
    assert infos[SEARCHER]["tool_results"][0]["ok"]
    assert env.searcher_env.system_prompt.count(SEARCHER_NOTE) == 1
    env.step({SEARCHER: f"<answer>{a + b}</answer>"})
    _, rewards, terminations, _, _ = env.step({ANSWERER: f"<answer>{a + b}</answer>"})
    assert all(terminations.values()) and rewards[SEARCHER] == 1.0


@functools.cache
def team(env_id: str) -> TeamToolEnv:
    return make(env_id, noise="heavy", reward="process")


def turns(tool: str) -> st.SearchStrategy:
    return st.one_of(action_texts([tool]), st.sampled_from(adversarial_actions([tool])))


@pytest.mark.parametrize(("env_id", "tool"), [("KeyValueLookupTeam-v0", "lookup"), ("MultiHopQATeam-v0", "search")])
@given(data=st.data())
def test_step_never_raises_on_any_text_from_any_agent(env_id, tool, data):
    env = team(env_id)
    observations, _ = env.reset(seed=data.draw(st.integers(0, 3)))
    for searcher_turn, answerer_turn in data.draw(st.lists(st.tuples(turns(tool), turns(tool)), max_size=10)):
        if not env.agents:
            break
        observations, rewards, terminations, truncations, infos = env.step({SEARCHER: searcher_turn, ANSWERER: answerer_turn})
        for agent in (SEARCHER, ANSWERER):
            assert env.observation_space(agent).contains(observations[agent])
            assert rewards[agent] == pytest.approx(sum(infos[agent]["reward_components"].values()))
        json.dumps(infos)


def test_shared_outcome_follows_the_format_rule_of_the_single_agent_outcome():
    """A malformed turn anywhere in the team makes the shared outcome format_score - 1, as rewards.outcome does."""
    env = make("KeyValueLookupTeam-v0")
    _, infos = env.reset(seed=1)
    chain, gold = infos[SEARCHER]["chain"], infos[SEARCHER]["answer"]
    env.step({SEARCHER: "<tool_call>{not json</tool_call>"})  # a syntax failure: not well formed
    for key in chain:
        env.step({SEARCHER: lookup(key)})
    env.step({SEARCHER: f"<answer>{gold}</answer>"})
    _, rewards, *_ = env.step({ANSWERER: f"<answer>{gold}</answer>"})
    turns = len(chain) + 3
    expected = (turns - 1) / turns - 1.0
    assert rewards == pytest.approx({SEARCHER: expected, ANSWERER: expected})
    assert expected < 0
