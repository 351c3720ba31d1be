"""The ``distributed`` bench section: the local rollout engine against Ray with 2 workers, on this machine.

A 2-node Ray cluster (one CPU each, :func:`agent_gym.testing.ray_cluster.local_cluster`) is started for the
section and shut down after it. Three workloads, each run locally and on Ray in the same process:

* **CPU-bound**: a scripted policy on ``HotpotQA-v0`` that spends ``work`` iterations of pure-Python
  arithmetic on each turn (its own CPU time, as a small local model's) and then searches the question (bm25,
  parsing, rubric: more Python). The local engine runs every policy call on one thread and its env threads
  share one interpreter (the GIL); two Ray workers are two processes.
* **latency-bound**: every tool call sleeps 0.2 s (``NoiseModel(latency_mean_s=0.2, sleep=True)``); the
  local engine runs ``2 x envs_per_worker`` envs, Ray 2 workers of ``envs_per_worker`` each (the same
  number of episodes in flight).
* **overhead**: one-turn episodes that answer at once, with warm workers: the extra wall time per episode
  of going through Ray, in ms, with 2 workers of ``envs_per_worker`` (``ray_overhead_ms_per_episode``: Ray
  calls carry a unit of episodes and run side by side) and with 1 worker of 1 env against a local engine of
  one env (``ray_overhead_ms_per_call``: one round trip per episode, nothing overlapped).

Each timed Ray run follows a warm-up run on the same engine (actors started, envs built, imports done);
the cold start of the 2 workers is reported on its own. The episodes of both sides are checked to be equal.
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = ["bench_distributed"]


def _lookup_call() -> str:
    return '<tool_call>{"name": "lookup", "arguments": {"key": "x"}}</tool_call>'


def _busy_search(history: tuple[dict[str, Any], ...], seed: int, *, work: int) -> str:
    """Search the question, after ``work`` iterations of pure-Python arithmetic (a policy's own CPU time)."""
    x = seed
    for _ in range(work):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    question = str(history[1]["content"]).splitlines()[-1][:200]
    arguments = json.dumps({"query": question})
    return f'<tool_call>{{"name": "search", "arguments": {arguments}}}</tool_call>'


def _timed(engine: Any, seeds: range) -> tuple[float, list]:
    started = time.perf_counter()
    episodes = engine.run(seeds)
    return time.perf_counter() - started, episodes


def _compare(
    env: str, policy: Any, episodes: int, envs_per_worker: int, env_kwargs: dict[str, Any], workers: int = 2
) -> dict[str, float]:
    """Episodes/s of the local engine (``workers x envs_per_worker`` envs) and of Ray, warm, on the same episodes."""
    from agent_gym.rollout import RolloutEngine
    from agent_gym.rollout.ray_engine import RayRolloutEngine

    local = RolloutEngine(env, policy(), concurrency=workers * envs_per_worker, env_kwargs=env_kwargs)
    local.run(range(2))  # warm-up: imports, the index, first-call caches
    local_s, local_episodes = _timed(local, range(episodes))
    with RayRolloutEngine(env, policy, workers=workers, envs_per_worker=envs_per_worker, env_kwargs=env_kwargs) as remote:
        cold_s, _ = _timed(remote, range(workers * envs_per_worker))  # starts the workers
        ray_s, ray_episodes = _timed(remote, range(episodes))
    if ray_episodes != local_episodes:
        raise AssertionError(f"{env}: Ray played other episodes than the local engine")
    return {"local_eps": episodes / local_s, "ray_eps": episodes / ray_s, "ray_cold_start_s": cold_s}


def bench_distributed(
    episodes: int = 32, turns: int = 4, latency_s: float = 0.2, envs_per_worker: int = 4, work: int = 100_000
) -> dict[str, Any]:
    """Episodes/s local vs Ray with 2 workers (CPU-bound and latency-bound), and Ray's per-episode overhead."""
    import functools

    import agent_gym  # noqa: F401 - registers the envs
    from agent_gym.baselines.policies import ScriptedPolicy
    from agent_gym.noise import NoiseModel
    from agent_gym.testing.ray_cluster import local_cluster

    with local_cluster(2):
        cpu = _compare(
            "HotpotQA-v0",
            functools.partial(ScriptedPolicy, functools.partial(_busy_search, work=work)),
            episodes,
            envs_per_worker,
            {"max_turns": turns},
        )
        noise = NoiseModel(latency_mean_s=latency_s, sleep=True)
        latency = _compare(
            "KeyValueLookup-v0",
            functools.partial(ScriptedPolicy, [_lookup_call()]),
            episodes,
            envs_per_worker,
            {"noise": noise, "max_turns": turns},
        )
        answer = functools.partial(ScriptedPolicy, ["<answer>x</answer>"])
        quick = _compare("KeyValueLookup-v0", answer, 4 * episodes, envs_per_worker, {})
        single = _compare("KeyValueLookup-v0", answer, episodes, 1, {}, workers=1)  # one episode per Ray call, in turn
    overhead_ms = (1 / quick["ray_eps"] - 1 / quick["local_eps"]) * 1000
    return {
        "episodes": episodes,
        "turns": turns,
        "tool_latency_s": latency_s,
        "cpu_work_iterations_per_turn": work,
        "workers": 2,
        "envs_per_worker": envs_per_worker,
        "cpu_local_episodes_per_s": cpu["local_eps"],
        "cpu_ray_episodes_per_s": cpu["ray_eps"],
        "ratio_cpu_ray_over_local": cpu["ray_eps"] / cpu["local_eps"],
        "latency_local_episodes_per_s": latency["local_eps"],
        "latency_ray_episodes_per_s": latency["ray_eps"],
        "ratio_latency_ray_over_local": latency["ray_eps"] / latency["local_eps"],
        "overhead_local_episodes_per_s": quick["local_eps"],
        "overhead_ray_episodes_per_s": quick["ray_eps"],
        "ray_overhead_ms_per_episode": overhead_ms,
        "ray_overhead_ms_per_call": (1 / single["ray_eps"] - 1 / single["local_eps"]) * 1000,
        "ray_cold_start_s": cpu["ray_cold_start_s"],
    }
