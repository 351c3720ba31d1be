"""The rollout engine on a 2-node Ray cluster on this machine: the same JSONL as the local engine, faults as data."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

import pytest

import agent_gym  # noqa: F401
from agent_gym.baselines.policies import OraclePolicy, ScriptedPolicy
from agent_gym.cli.main import main
from agent_gym.rollout import RolloutEngine, read_episodes, rollout, turn_seed
from agent_gym.rollout.ray_engine import RayRolloutEngine
from agent_gym.testing.ray_cluster import local_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ANSWER = "<answer>nothing</answer>"
LOOKUP = '<tool_call>{"name": "lookup", "arguments": {"key": "k1"}}</tool_call>'


@pytest.fixture(scope="module")
def cluster():
    import ray.cloudpickle

    # The fault-injecting policies below are defined here; workers cannot import a test module by name.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with local_cluster(2) as address:
        yield address


class FaultyPolicy:
    """Plays ``[LOOKUP, ANSWER]``, except in the episodes of ``seeds``: there it ``crash``-es its worker process
    (``os._exit``) or ``hang``-s; with a ``marker`` file, only the first time (the retry then plays normally)."""

    def __init__(self, seeds, fault="crash", marker: Path | None = None):
        self.first_turns = {turn_seed(s, 1) for s in seeds}
        self.fault, self.marker = fault, marker
        self.script = ScriptedPolicy([LOOKUP, ANSWER])

    def act(self, histories, *, tools=None, seeds=None):
        if self.first_turns & set(seeds or ()) and not (self.marker and self.marker.exists()):
            if self.marker:
                self.marker.touch()
            if self.fault == "crash":
                os._exit(1)
            time.sleep(3600)
        return self.script.act(histories, tools=tools, seeds=seeds)


def _same_as_local(tmp_path, env, policy, seeds, *, env_kwargs=None, local_max_batch=None, **ray_kwargs):
    local = tmp_path / "local.jsonl"
    RolloutEngine(env, policy(), concurrency=4, max_batch=local_max_batch, env_kwargs=env_kwargs).run(seeds, out=local)
    remote = tmp_path / "ray.jsonl"
    with RayRolloutEngine(env, policy, workers=2, envs_per_worker=2, env_kwargs=env_kwargs, **ray_kwargs) as engine:
        episodes = engine.run(seeds, out=remote)
    assert engine.failures == [] and len(episodes) == len(seeds)
    assert remote.read_bytes() == local.read_bytes()
    return engine


def test_scripted_episodes_are_the_same_bytes_as_the_local_engine(cluster, tmp_path):
    from tests.rollout.conftest import random_kv_script

    ray_policy = functools.partial(ScriptedPolicy, random_kv_script)
    engine = _same_as_local(tmp_path, "KeyValueLookup-v0", ray_policy, range(10), env_kwargs={"max_turns": 4})
    assert engine.stats.episodes == 10 and engine.stats.turns > 10


def test_oracle_qa_episodes_are_the_same_bytes_as_the_local_engine(cluster, tmp_path):
    _same_as_local(tmp_path, "MultiHopQA-v0", OraclePolicy, range(8))


def test_the_rollout_command_with_ray_writes_the_same_episodes_as_without(cluster, tmp_path, capsys):
    common = ["rollout", "MultiHopQA-v0", "--policy", "oracle", "-n", "32", "--no-progress"]
    assert main([*common, "--out", str(tmp_path / "local.jsonl")]) == 0
    assert (
        main([*common, "--out", str(tmp_path / "ray.jsonl"), "--ray", cluster, "--workers", "2", "--envs-per-worker", "4"]) == 0
    )
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert len(list(read_episodes(tmp_path / "ray.jsonl"))) == 32
    assert capsys.readouterr().out.count("32 episodes, ") == 2


def test_rollout_takes_the_ray_cluster_as_an_option(cluster):
    local = rollout("KeyValueLookup-v0", OraclePolicy(), n_episodes=4, concurrency=2)
    assert rollout("KeyValueLookup-v0", OraclePolicy, n_episodes=4, ray=cluster, workers=2, envs_per_worker=2) == local


def test_bad_ray_options_and_policies_are_one_line_errors_before_anything_starts(tmp_path, capsys):
    out = str(tmp_path / "x.jsonl")
    assert main(["rollout", "KeyValueLookup-v0", "--ray", "auto", "--workers", "0", "--out", out]) == 2
    assert capsys.readouterr().err.strip() == (
        "agent-gym rollout: Ray option workers=0: Input should be greater than or equal to 1"
    )
    with pytest.raises(SystemExit):
        main(["rollout", "KeyValueLookup-v0", "--policy", "oracel", "--out", out])
    assert "Did you mean 'oracle'?" in capsys.readouterr().err


@pytest.mark.timeout(900)  # two Ray workers each load the model; 300 s ran out on the loaded 2-core VM
def test_greedy_embedded_episodes_are_the_same_bytes_as_the_local_engine(cluster, tmp_path):
    from agent_gym.baselines.policies import make_policy

    # One history per forward pass on both sides: batch padding is the one thing that may change a greedy token.
    policy = functools.partial(make_policy, "embedded", max_new_tokens=16, batch_size=1, threads=1)
    _same_as_local(tmp_path, "KeyValueLookup-v0", policy, range(4), env_kwargs={"max_turns": 2}, max_batch=1, local_max_batch=1)


def test_a_killed_worker_loses_no_episode_and_doubles_none(cluster, tmp_path):
    seen = []
    policy = functools.partial(FaultyPolicy, [3], "crash", tmp_path / "crashed")
    with RayRolloutEngine("KeyValueLookup-v0", policy, workers=2, envs_per_worker=2) as engine:
        episodes = engine.run(range(8), out=tmp_path / "ray.jsonl", on_episode=seen.append)
    assert (tmp_path / "crashed").exists() and engine.replaced_workers == 1
    assert [e.seed for e in episodes] == list(range(8)) and sorted(e.seed for e in seen) == list(range(8))
    local = RolloutEngine("KeyValueLookup-v0", ScriptedPolicy([LOOKUP, ANSWER]), concurrency=2).run(range(8))
    assert episodes == local
    assert not (tmp_path / "ray.jsonl.failed.jsonl").exists()


def test_an_episode_that_always_kills_its_worker_is_recorded_failed_with_the_reason(cluster, tmp_path):
    policy = functools.partial(FaultyPolicy, [2], "crash")
    with RayRolloutEngine("KeyValueLookup-v0", policy, workers=2, envs_per_worker=2, max_attempts=2) as engine:
        episodes = engine.run(range(6), out=tmp_path / "ray.jsonl")
    assert [e.seed for e in episodes] == [0, 1, 3, 4, 5]
    assert [(f.index, f.attempts) for f in engine.failures] == [(2, 2)]
    assert engine.failures[0].reason.startswith("the worker died")
    assert (tmp_path / "ray.jsonl.failed.jsonl").read_text().count("\n") == 1
    assert len((tmp_path / "ray.jsonl").read_text().splitlines()) == 5


def test_a_hung_episode_is_bounded_by_the_timeout_and_the_others_finish(cluster, tmp_path):
    policy = functools.partial(FaultyPolicy, [1], "hang")
    started = time.monotonic()
    # 10 s: long enough that a healthy episode never hits it on a loaded 2-core machine (4 s once did)
    with RayRolloutEngine("KeyValueLookup-v0", policy, workers=2, envs_per_worker=2, episode_timeout_s=10) as engine:
        episodes = engine.run(range(4))
    assert [e.seed for e in episodes] == [0, 2, 3]
    assert [(f.index, f.reason, f.attempts) for f in engine.failures] == [(1, "timed out after 10 s", 2)]
    assert time.monotonic() - started < 120


def test_a_killed_endpoint_mid_run_loses_no_turn_on_ray_workers(cluster, tmp_path):
    from agent_gym.baselines.policies import make_policy
    from tests.baselines.policies.conftest import llama_cpp_server

    with llama_cpp_server(tmp_path / "a.log") as a, llama_cpp_server(tmp_path / "b.log") as b:
        policy = functools.partial(
            make_policy, "openai", base_url=f"{a.url},{b.url}", model="smollm2", max_tokens=16, timeout_s=120
        )
        requests_to_b = []

        def kill_b(episode):
            if not requests_to_b:
                requests_to_b.append((tmp_path / "b.log").read_text().count("POST /v1/chat/completions"))
                b.process.kill()

        with RayRolloutEngine("MultiHopQA-v0", policy, workers=2, envs_per_worker=2, env_kwargs={"max_turns": 2}) as engine:
            episodes = engine.run(range(8), on_episode=kill_b)
    assert [e.seed for e in episodes] == list(range(8)) and engine.failures == []
    errors = [s.policy.error for e in episodes for s in e.steps]
    assert errors == [None] * len(errors)
    assert requests_to_b[0] > 0  # b served episodes before it was killed; theirs moved to a
