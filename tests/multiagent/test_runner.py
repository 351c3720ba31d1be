"""The team episode runner and the oracle pair: a chain-following searcher and the relay answerer."""

from __future__ import annotations

import pytest

from agent_gym.baselines.policies import OraclePolicy
from agent_gym.errors import ConfigError, PolicyError
from agent_gym.multiagent import ANSWERER, SEARCHER, RelayAnswerer, make, run_team_episode, run_team_episodes
from agent_gym.multiagent.runner import agent_turn_seed
from agent_gym.rollout.episode import turn_seed
from agent_gym.testing import FunctionPolicy, ScriptedPolicy


class Recorder:
    """Wraps a policy and records every ``act`` call."""

    def __init__(self, policy):
        self.policy, self.calls = policy, []

    def act(self, histories, *, tools=None, seeds=None):
        self.calls.append((len(histories), tools, seeds))
        return self.policy.act(histories, tools=tools, seeds=seeds)


@pytest.mark.parametrize("hops", [1, 2, 4])
def test_oracle_pair_solves_every_task(chain_searcher, hops):
    env = make("KeyValueLookupTeam-v0", hops=hops, reward="process")
    policies = {SEARCHER: chain_searcher, ANSWERER: RelayAnswerer()}
    for seed in range(20):
        episode = run_team_episode(env, policies, seed=seed)
        assert episode.metrics == {"em": 1.0}, seed
        assert episode.rounds == hops + 2  # hops lookups, the report, the answer
        assert episode.returns[SEARCHER] == pytest.approx(1.0 + 0.1 * hops - 0.01 * (hops + 1))
        assert episode.returns[ANSWERER] == pytest.approx(0.99)


@pytest.mark.parametrize("tool_format", ["hermes", "react", "search_r1", "openai"])
def test_baseline_oracle_and_relay_solve_every_task_in_every_format(tool_format):
    env = make("KeyValueLookupTeam-v0", tool_format=tool_format, hops=3, noise=None)
    policies = {SEARCHER: OraclePolicy(), ANSWERER: RelayAnswerer(tool_format)}
    episodes = run_team_episodes(env, policies, seeds=range(10))
    assert [episode.metrics for episode in episodes] == [{"em": 1.0}] * 10
    assert all(episode.returns == {SEARCHER: 1.0, ANSWERER: 1.0} for episode in episodes)


def test_a_shared_policy_plays_both_roles_and_records_each_side(chain_searcher):
    def either(history):
        is_answerer = "answerer of a two-agent team" in history[0]["content"]
        return (RelayAnswerer() if is_answerer else chain_searcher).act([history])[0].text

    shared = Recorder(FunctionPolicy(either))
    env = make("KeyValueLookupTeam-v0")
    episode = run_team_episode(env, shared, seed=3, env_id="KeyValueLookupTeam-v0")
    assert episode.metrics == {"em": 1.0} and episode.env_id == "KeyValueLookupTeam-v0"
    # Only the acting agent is asked: 2 lookups and a report by the searcher (with its tools), then one answer.
    lookup_tools = env.tool_schemas(SEARCHER)
    assert [(n, tools) for n, tools, _ in shared.calls] == [(1, lookup_tools)] * 3 + [(1, None)]
    searcher, answerer = episode.episodes[SEARCHER], episode.episodes[ANSWERER]
    assert [step.action for step in answerer.steps] == ["", "", "", "<answer>" + answerer.reset_info["answer"] + "</answer>"]
    assert searcher.messages[-1]["role"] == "assistant" and answerer.messages[-2]["content"].startswith("Report from")
    assert searcher.task_id == answerer.task_id and searcher.metrics == answerer.metrics == {"em": 1.0}
    assert searcher.terminated and answerer.terminated
    assert all(step.reward == pytest.approx(sum(step.reward_components.values())) for step in searcher.steps)


def test_turn_seeds_depend_on_the_episode_seed_round_and_agent_only(chain_searcher):
    env = make("KeyValueLookupTeam-v0")
    runs = []
    for _ in range(2):
        searcher, answerer = Recorder(chain_searcher), Recorder(RelayAnswerer())
        episode = run_team_episode(env, {SEARCHER: searcher, ANSWERER: answerer}, seed=9)
        runs.append([seeds for _, _, seeds in searcher.calls + answerer.calls])
    assert runs[0] == runs[1]
    # The searcher samples as in the single-agent engine; each seed is recorded with its turn.
    assert runs[0][0] == [turn_seed(9, 1)] and runs[0][-1] == [agent_turn_seed(9, 4, 1)]
    searcher_steps = episode.episodes[SEARCHER].steps
    assert searcher_steps[0].policy.seed == turn_seed(9, 1) and [s.turn for s in searcher_steps] == [1, 2, 3, 4]
    assert searcher_steps[-1].policy is None  # the searcher was live but not acting in the last round
    flat = [s for seeds in runs[0] for s in seeds]
    assert len(set(flat)) == len(flat)
    searcher = Recorder(chain_searcher)
    run_team_episode(env, {SEARCHER: searcher, ANSWERER: RelayAnswerer()})
    assert all(seeds is None for _, _, seeds in searcher.calls)


def test_a_weak_searcher_loses_for_the_team():
    env = make("KeyValueLookupTeam-v0")
    episode = run_team_episode(env, {SEARCHER: ScriptedPolicy(["<answer>no idea</answer>"]), ANSWERER: RelayAnswerer()}, seed=0)
    assert episode.metrics == {"em": 0.0} and episode.returns == {SEARCHER: 0.0, ANSWERER: 0.0}


def test_policy_errors_become_empty_turns_and_are_recorded():
    class Down:
        def act(self, histories, *, tools=None, seeds=None):
            raise PolicyError("server down")

    episode = run_team_episode(make("KeyValueLookupTeam-v0"), {SEARCHER: Down(), ANSWERER: RelayAnswerer()}, seed=0)
    first = episode.episodes[SEARCHER].steps[0]
    assert first.action == "" and first.policy.error == "PolicyError: server down"
    assert first.info["errors"] == [] and "no tool call and no answer" in episode.episodes[SEARCHER].messages[3]["content"]
    assert episode.metrics == {"em": 0.0}


def test_episode_aware_policies_hear_their_own_agent_episode():
    class Listener(RelayAnswerer):
        def __init__(self):
            super().__init__()
            self.events = []

        def start_episode(self, episode, history, info):
            self.events.append(("start", info["role"], len(history)))

        def end_episode(self, episode, history):
            self.events.append(("end", history[-1]["role"]))

        def act(self, histories, *, tools=None, seeds=None, episodes=None):
            return super().act(histories, tools=tools, seeds=seeds)

    searcher, answerer = Listener(), Listener()
    run_team_episode(make("KeyValueLookupTeam-v0"), {SEARCHER: searcher, ANSWERER: answerer}, seed=0)
    assert searcher.events == [("start", "searcher", 2), ("end", "assistant")]
    assert answerer.events == [("start", "answerer", 2), ("end", "assistant")]


def test_runner_errors():
    env = make("KeyValueLookupTeam-v0")
    with pytest.raises(ConfigError, match=r"no policy for \['answerer_0'\]"):
        run_team_episode(env, {SEARCHER: RelayAnswerer()})

    class Silent:
        def act(self, histories, *, tools=None, seeds=None):
            return []

    with pytest.raises(PolicyError, match="returned 0 turns for 1 histories"):
        run_team_episode(env, Silent(), seed=0)
