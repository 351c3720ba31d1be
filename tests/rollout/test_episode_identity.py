"""Policies that keep per-episode state play each episode as their own, whatever else runs at the same time.

The same seeds give the same JSONL bytes one episode at a time, 64 at a time (with every task played twice at
once: two episodes with one opening) and on Ray workers with one or four envs each.
"""

from __future__ import annotations

import functools

import pytest

import agent_gym  # noqa: F401
from agent_gym.baselines.policies import OraclePolicy, ScriptedPolicy
from agent_gym.rollout import RolloutEngine, read_episodes
from agent_gym.testing.ray_cluster import local_cluster

LOOKUP = '<tool_call>{"name": "lookup", "arguments": {"key": "k1"}}</tool_call>'

POLICIES = {
    "oracle": OraclePolicy,
    "teacher": functools.partial(OraclePolicy, question_first=True),
    "scripted": functools.partial(ScriptedPolicy, [LOOKUP, "<answer>nothing</answer>"]),
}
CASES = [
    ("KeyValueLookup-v0", "oracle"),
    ("MultiHopQA-v0", "oracle"),
    ("MultiHopQA-v0", "teacher"),
    ("KeyValueLookup-v0", "scripted"),
]
SEEDS = [seed for seed in range(48) for _ in range(2)]  # each task twice: concurrent episodes share an opening


def _jsonl(tmp_path, name, env, policy, **engine_kwargs) -> bytes:
    out = tmp_path / f"{name}.jsonl"
    RolloutEngine(env, POLICIES[policy](), **engine_kwargs).run(SEEDS, out=out)
    return out.read_bytes()


@pytest.mark.parametrize(("env", "policy"), CASES)
def test_concurrent_episodes_of_one_task_give_the_same_bytes_as_one_at_a_time(tmp_path, env, policy):
    alone = _jsonl(tmp_path, "c1", env, policy, concurrency=1)
    together = _jsonl(tmp_path, "c64", env, policy, concurrency=64)
    assert together == alone
    episodes = list(read_episodes(tmp_path / "c64.jsonl"))
    assert len(episodes) == len(SEEDS)
    assert not [s.policy.error for e in episodes for s in e.steps if s.policy is not None and s.policy.error]
    if policy == "oracle":  # the oracle answers every task right
        assert all(e.total_reward > 0 for e in episodes)


@pytest.fixture(scope="module")
def ray_cluster():
    with local_cluster(2) as address:
        yield address


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("envs_per_worker", [1, 4])
@pytest.mark.parametrize(("env", "policy"), CASES)
def test_ray_workers_give_the_same_bytes_as_the_local_engine(ray_cluster, tmp_path, env, policy, envs_per_worker):
    from agent_gym.rollout.ray_engine import RayRolloutEngine

    local = _jsonl(tmp_path, "c1", env, policy, concurrency=1)
    remote = tmp_path / "ray.jsonl"
    with RayRolloutEngine(env, POLICIES[policy], workers=2, envs_per_worker=envs_per_worker) as engine:
        engine.run(SEEDS, out=remote)
    assert engine.failures == []
    assert remote.read_bytes() == local
