"""The rollout engine: seeds, ordering, concurrency, JSONL, policy errors, hooks."""

from __future__ import annotations

import time

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401 - registers the envs
from agent_gym.baselines.policies import OraclePolicy, ScriptedPolicy
from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout import PolicyTurn, RolloutEngine, read_episodes, rollout, run_episode, turn_seed
from agent_gym.types import PolicyRecord
from tests.rollout.conftest import random_kv_script


def test_oracle_solves_every_key_value_episode_in_seed_order():
    episodes = rollout("KeyValueLookup-v0", OraclePolicy(), n_episodes=6, seed=10, concurrency=4)
    assert [e.seed for e in episodes] == list(range(10, 16))
    assert all(e.metrics == {"em": 1.0} and e.terminated for e in episodes)
    assert [len(e.steps) for e in episodes] == [3] * 6  # two lookups and the answer


@pytest.mark.parametrize("max_batch", [None, 3])
def test_same_seeds_same_episodes_at_concurrency_1_and_16(max_batch):
    policy = ScriptedPolicy(random_kv_script)
    seq = rollout("KeyValueLookupNoisy-v0", policy, n_episodes=24, concurrency=1)
    par = rollout("KeyValueLookupNoisy-v0", policy, n_episodes=24, concurrency=16, max_batch=max_batch)
    assert [e.model_dump() for e in seq] == [e.model_dump() for e in par]
    assert len({tuple(s.action for s in e.steps) for e in seq}) > 12  # the script really varies by seed


def test_jsonl_is_byte_identical_across_concurrency_and_reads_back(tmp_path):
    policy = ScriptedPolicy(random_kv_script)
    episodes = rollout("KeyValueLookup-v0", policy, n_episodes=10, concurrency=1, out=tmp_path / "a.jsonl")
    rollout("KeyValueLookup-v0", policy, n_episodes=10, concurrency=7, out=tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert list(read_episodes(tmp_path / "a.jsonl")) == episodes


def test_turn_seeds_reach_the_policy_and_are_recorded():
    seen = []

    def script(history, seed):
        seen.append(seed)
        return "<answer>x</answer>"

    (episode,) = rollout("KeyValueLookup-v0", ScriptedPolicy(script), seeds=[7])
    assert seen == [turn_seed(7, 1)]
    assert episode.steps[0].policy == PolicyRecord(seed=turn_seed(7, 1))
    assert "policy" not in episode.steps[0].info  # the env's info is kept as the env returned it


def test_an_envs_own_info_policy_is_not_overwritten():
    class OwnPolicyInfo(gym.Wrapper):
        def step(self, action):
            observation, reward, terminated, truncated, info = self.env.step(action)
            return observation, reward, terminated, truncated, {**info, "policy": "the env's own"}

    policy = ScriptedPolicy(lambda history, seed: "<answer>x</answer>")
    (episode,) = rollout(lambda: OwnPolicyInfo(gym.make("KeyValueLookup-v0")), policy, seeds=[3])
    assert episode.steps[0].info["policy"] == "the env's own" and episode.steps[0].policy.seed == turn_seed(3, 1)


class _Flaky:
    """Fails on the first turn of every episode: by returning error turns, or by raising PolicyError."""

    def __init__(self, raise_error: bool):
        self.raise_error = raise_error

    def act(self, histories, *, tools=None, seeds=None):
        if any(len(h) == 2 for h in histories):
            if self.raise_error:
                raise PolicyError("backend down")
            return [PolicyTurn(text="", error="server answered 500") for _ in histories]
        return [PolicyTurn(text="<answer>amber</answer>") for _ in histories]


@pytest.mark.parametrize("raise_error", [False, True])
def test_policy_errors_are_recorded_and_the_run_goes_on(raise_error):
    engine = RolloutEngine("KeyValueLookup-v0", _Flaky(raise_error), concurrency=2, max_batch=1)
    episodes = engine.run(range(4))
    assert len(episodes) == 4
    for episode in episodes:
        first, second = episode.steps[:2]
        assert first.policy.error in ("server answered 500", "PolicyError: backend down")
        assert first.action == "" and not first.terminated  # the env got an empty turn and asked again
        assert second.policy.error is None and second.terminated
    assert engine.stats.policy_errors == sum(1 for e in episodes for s in e.steps if s.policy.error)


def test_a_policy_returning_the_wrong_number_of_turns_is_a_bug():
    class Short:
        def act(self, histories, *, tools=None, seeds=None):
            return []

    with pytest.raises(PolicyError, match="returned 0 turns for 1 histories"):
        rollout("KeyValueLookup-v0", Short(), n_episodes=1)


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="concurrency and max_batch must be >= 1"):
        RolloutEngine("KeyValueLookup-v0", OraclePolicy(), concurrency=0)
    with pytest.raises(ConfigError, match="is not a Policy"):
        RolloutEngine("KeyValueLookup-v0", object())
    with pytest.raises(ConfigError, match="give n_episodes"):
        rollout("KeyValueLookup-v0", OraclePolicy())


def test_episode_hooks_are_called_once_per_episode():
    class Hooked(OraclePolicy):
        def __init__(self):
            super().__init__()
            self.started, self.ended = [], []

        def start_episode(self, episode, history, info):
            self.started.append(info["task_id"])
            super().start_episode(episode, history, info)

        def end_episode(self, episode, history):
            self.ended.append(history[-1]["role"])
            super().end_episode(episode, history)

    policy = Hooked()
    episodes = rollout("KeyValueLookup-v0", policy, n_episodes=5, concurrency=3)
    assert sorted(policy.started) == sorted(e.task_id for e in episodes)
    assert policy.ended == ["assistant"] * 5  # the final observation ends with the answering turn


def test_run_episode_leaves_the_callers_env_open():
    env = gym.make("KeyValueLookup-v0")
    first = run_episode(env, OraclePolicy(), seed=3)
    second = run_episode(env, OraclePolicy(), seed=3)
    assert first == second and first.metrics["em"] == 1.0
    env.reset(seed=0)  # still usable: the engine did not close it
    env.close()


def test_slow_tools_overlap():
    noisy = {"noise": {"latency_mean_s": 0.1, "sleep": True}, "max_turns": 2}
    policy = ScriptedPolicy(['<tool_call>{"name": "lookup", "arguments": {"key": "a"}}</tool_call>'])
    engine = RolloutEngine("KeyValueLookup-v0", policy, concurrency=8, env_kwargs=noisy)
    started = time.perf_counter()
    episodes = engine.run(range(8))
    elapsed = time.perf_counter() - started
    assert all(e.truncated and len(e.steps) == 2 for e in episodes)
    assert elapsed < 0.8, f"8 episodes x 2 turns x 0.1 s took {elapsed:.2f} s: sequential would be 1.6 s, overlapped 0.2 s"
