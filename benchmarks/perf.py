"""``agent-gym bench``: agent-gym's speed, each figure a ratio against a reference measured in the same run.

Sections (``--sections``, all by default):

- ``env``: env steps/s with a scripted policy on ``HotpotQA-v0``, with retrieval (every turn searches) and
  without (every turn is plain text, so the same parsing, rubric and history work happens, minus the search).
  References: the no-retrieval rate, and the raw bm25 queries/s on the same queries (how much of the search
  rate the env keeps once it parses, interprets and records).
- ``retrieval``: queries/s of each backend on the same corpus (the pooled bundled dev paragraphs) with the dev
  questions as queries: bm25 one query at a time (the reference), bm25 batched, the HTTP client against
  ``agent-gym serve-retriever`` on loopback, and lucene when the ``lucene`` extra works.
- ``rollout``: the rollout engine on a latency-bound workload (every tool call sleeps ``--latency`` s): the
  overlapped run against the ideal overlap and against a sequential run measured on a few episodes.
- ``policy``: the embedded model on the leaderboard's own workload (Base Tool Call on HotpotQA dev questions,
  its env settings, 64-token turns): episodes per minute and generated tokens per CPU-second with the padded
  full-prefill path (the reference), with KV reuse alone, and with KV reuse and continuous batching, in one run;
  the greedy episodes of the three are compared token for token. The fast path runs a second time with the other
  torch thread count (2 if the run uses 1, else 1), to choose the default from figures.
- ``distributed``: episodes/s of the local engine against Ray with 2 workers on a 2-node cluster on this machine
  (CPU-bound scripted policy; 0.2 s tool latency), as ratios, and Ray's overhead per episode in ms (see
  :mod:`agent_gym.benchmarks.distributed`).
- ``serving``: step latency of ``MultiHopQA-v0`` through ``agent-gym serve-env`` on loopback, 64 concurrent
  sessions of 50 steps each, against an in-process step (p50 and p99), and the errors seen (see
  :mod:`agent_gym.benchmarks.serving`).
- ``trajectory``: token-trajectory assembly (``build_trajectory``) against the generation time of the same
  episodes with the embedded SmolLM2-135M-Instruct.

Figures are speeds on the machine at hand, never assertions: ratios are what stays comparable across machines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from agent_gym.benchmarks.distributed import bench_distributed

__all__ = [
    "SECTIONS",
    "bench_env",
    "bench_policy",
    "bench_retrieval",
    "bench_rollout",
    "bench_serving",
    "bench_trajectory",
    "run_bench",
]


def _questions(n: int) -> list[str]:
    from agent_gym.envs.qa import load_bundled

    records = [r for name in ("hotpotqa", "2wikimultihopqa", "musique") for r in load_bundled(name, "dev")]
    return [r.question for r in records[:: max(1, len(records) // n)]][:n]


def _steps_per_s(env: Any, turn: Callable[[dict], str], episodes: int) -> float:
    """Env steps/s of a scripted policy (``turn(reset_info) -> action``) over ``episodes`` episodes."""
    steps, started = 0, time.perf_counter()
    for index in range(episodes):
        _, info = env.reset(seed=index, options={"index": index})
        done = False
        while not done:
            _, _, terminated, truncated, _ = env.step(turn(info))
            steps, done = steps + 1, terminated or truncated
    return steps / (time.perf_counter() - started)


def bench_env(episodes: int = 20, turns: int = 4) -> dict[str, float]:
    """Env steps/s with and without retrieval, and against raw bm25 on the same queries."""
    import gymnasium as gym

    import agent_gym  # noqa: F401 - registers the envs

    env = gym.make("HotpotQA-v0", max_turns=turns)
    fmt = env.unwrapped.format
    from agent_gym.types import ToolCall

    def search(info: dict) -> str:
        return fmt.render_turn([ToolCall(name="search", arguments={"query": info["question"]})])

    _steps_per_s(env, search, 2)  # warm-up: lazy imports, the index, first-call caches
    plain = _steps_per_s(env, lambda info: "Let me think about the question first.", episodes)
    with_search = _steps_per_s(env, search, episodes)
    queries = [env.unwrapped.records[i][1].question for i in range(episodes)] * turns
    retriever = env.unwrapped.retriever
    started = time.perf_counter()
    for query in queries:
        retriever.search(query, env.unwrapped.top_k)
    raw = len(queries) / (time.perf_counter() - started)
    env.close()
    return {
        "steps_per_s_without_retrieval": plain,
        "steps_per_s_with_retrieval": with_search,
        "bm25_queries_per_s_same_queries": raw,
        "ratio_with_over_without_retrieval": with_search / plain,
        "ratio_env_steps_over_raw_search": with_search / raw,
    }


def _qps(search: Callable[[str], Any], queries: Sequence[str]) -> float:
    started = time.perf_counter()
    for query in queries:
        search(query)
    return len(queries) / (time.perf_counter() - started)


def bench_retrieval(n_queries: int = 300, k: int = 5, http: bool = True, lucene: bool = True) -> dict[str, Any]:
    """Queries/s of every backend on the pooled dev corpus, each as a ratio to bm25 one query at a time."""
    from agent_gym.envs.qa import load_bundled
    from agent_gym.retrieval import BM25Retriever, Corpus

    records = [r for name in ("hotpotqa", "2wikimultihopqa", "musique") for r in load_bundled(name, "dev")]
    corpus = Corpus.from_records(records)
    queries = _questions(n_queries)
    bm25 = BM25Retriever(corpus)
    bm25.search(queries[0], k)  # warm-up (lazy loads, caches)
    result: dict[str, Any] = {"corpus_passages": len(corpus), "queries": len(queries)}
    reference = result["bm25_qps"] = _qps(lambda q: bm25.search(q, k), queries)
    started = time.perf_counter()
    bm25.batch_search(list(queries), k)
    result["bm25_batch_qps"] = len(queries) / (time.perf_counter() - started)
    if http:
        result.update(_http_qps(queries, k))
    if lucene:
        result.update(_lucene_qps(corpus, queries, k))
    for name in [key for key in result if key.endswith("_qps") and key != "bm25_qps"]:
        result[f"ratio_{name.removesuffix('_qps')}_over_bm25"] = result[name] / reference
    return result


def _http_qps(queries: Sequence[str], k: int) -> dict[str, Any]:
    from agent_gym.retrieval.remote import HttpRetriever
    from agent_gym.retrieval.server import ServerProcess

    try:
        with ServerProcess(startup_timeout_s=300.0) as server:
            client = HttpRetriever(server.url)
            client.search(queries[0], k)
            return {"http_loopback_qps": _qps(lambda q: client.search(q, k), queries)}
    except Exception as exc:  # noqa: BLE001 - a benchmark reports what it could not measure
        return {"http_loopback_skipped": f"{type(exc).__name__}: {exc}"}


def _lucene_qps(corpus: Any, queries: Sequence[str], k: int) -> dict[str, Any]:
    try:
        from agent_gym.retrieval.lucene import LuceneRetriever

        lucene = LuceneRetriever(corpus)
        lucene.search(queries[0], k)
        return {"lucene_qps": _qps(lambda q: lucene.search(q, k), queries)}
    except Exception as exc:  # noqa: BLE001 - optional extra: report why it is missing
        return {"lucene_skipped": f"{type(exc).__name__}: {exc}"}


def bench_rollout(episodes: int = 32, turns: int = 4, latency_s: float = 0.2, sequential_episodes: int = 2) -> dict[str, float]:
    """The engine's overlapped wall time against the ideal overlap and a measured sequential run."""
    from agent_gym.benchmarks import rollout

    rollout.LATENCY_S = latency_s
    overlapped = rollout.measure(episodes, turns, concurrency=episodes)
    sequential = rollout.measure(sequential_episodes, turns, concurrency=1) / sequential_episodes * episodes
    ideal = turns * latency_s
    return {
        "episodes": episodes,
        "turns": turns,
        "tool_latency_s": latency_s,
        "overlapped_s": overlapped,
        "ideal_s": ideal,
        "sequential_s_measured_scaled": sequential,
        "ratio_overlapped_over_ideal": overlapped / ideal,
        "speedup_over_sequential": sequential / overlapped,
    }


def bench_serving(sessions: int = 64, steps: int = 50) -> dict[str, Any]:
    """Step latency through the env server under load, as a ratio to an in-process step."""
    from agent_gym.benchmarks.serving import measure

    return measure(sessions=sessions, steps=steps)


def bench_trajectory(episodes: int = 4, max_new_tokens: int = 32, turns: int = 3) -> dict[str, float]:
    """Time to assemble token trajectories against the time the embedded model took to generate them."""
    import gymnasium as gym

    import agent_gym  # noqa: F401
    from agent_gym.baselines.policies import EmbeddedPolicy
    from agent_gym.rollout import RolloutEngine, build_trajectory

    policy = EmbeddedPolicy(max_new_tokens=max_new_tokens, batch_size=episodes)
    engine = RolloutEngine("KeyValueLookup-v0", policy, concurrency=episodes, env_kwargs={"max_turns": turns})
    result = engine.run(range(episodes))
    generation = engine.stats.policy_s
    chat = policy.chat_tokenizer(gym.make("KeyValueLookup-v0").unwrapped.tool_schemas)  # as the engine's act() did
    started = time.perf_counter()
    trajectories = [build_trajectory(episode, chat) for episode in result]
    assembly = time.perf_counter() - started
    tokens = sum(sum(t.loss_mask) for t in trajectories)
    return {
        "episodes": episodes,
        "policy_tokens": tokens,
        "generation_s": generation,
        "assembly_s": assembly,
        "ratio_assembly_over_generation": assembly / generation if generation else math.nan,
    }


def bench_policy(questions: int = 10, max_new_tokens: int = 64, batch_size: int = 16) -> dict[str, Any]:
    """Base Tool Call on ``questions`` HotpotQA dev questions, the policy's fast path off and on."""
    import gymnasium as gym
    import torch

    import agent_gym  # noqa: F401
    from agent_gym.baselines.base_tool_call import BaseToolCall
    from agent_gym.baselines.method import TaskSpec
    from agent_gym.baselines.policies import EmbeddedPolicy
    from agent_gym.benchmarks.leaderboard.config import DEFAULT_ENV_KWARGS, QA_ENV_KWARGS

    modes = {
        "padded": {"kv_reuse": False, "continuous_batching": False},
        "reuse": {"kv_reuse": True, "continuous_batching": False},
        "reuse_continuous": {"kv_reuse": True, "continuous_batching": True},
        # the fast path again with the other thread count: which default suits this machine
        "reuse_continuous_other_threads": {"kv_reuse": True, "continuous_batching": True},
    }
    threads = torch.get_num_threads()
    other_threads = 2 if threads == 1 else 1
    tasks = [TaskSpec(seed=i, options={"index": i}) for i in range(questions)]
    kwargs = {**DEFAULT_ENV_KWARGS, **QA_ENV_KWARGS}
    figures: dict[str, Any] = {"questions": questions, "max_new_tokens": max_new_tokens, "batch_size": batch_size}
    played: dict[str, list[Any]] = {}
    figures["threads"], figures["other_threads"] = threads, other_threads
    for mode, options in modes.items():
        torch.set_num_threads(other_threads if mode.endswith("other_threads") else threads)
        policy = EmbeddedPolicy(max_new_tokens=max_new_tokens, batch_size=batch_size, **options)
        envs = [gym.make("HotpotQA-v0", **kwargs) for _ in range(min(batch_size, questions))]
        cpu, wall = time.process_time(), time.perf_counter()
        episodes = sorted(BaseToolCall(policy).play(envs, tasks), key=lambda item: item[0])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        for env in envs:
            env.close()
        played[mode] = [p.episode for _, p in episodes]
        tokens = sum(p.generated_tokens or 0 for _, p in episodes)
        figures[f"{mode}_wall_s"] = wall
        figures[f"{mode}_episodes_per_min"] = 60 * len(episodes) / wall
        figures[f"{mode}_tokens_per_cpu_s"] = tokens / cpu
        figures[f"{mode}_generated_tokens"] = tokens
        figures[f"{mode}_turns"] = sum(len(e.steps) for e in played[mode])
        # Where the time goes: prompt tokens run through the model (a padded batch also runs its padding).
        decoder = policy._decoder
        figures[f"{mode}_prompt_tokens_computed"] = (
            decoder.prompt_tokens_fed if decoder is not None else sum(p.prompt_tokens or 0 for _, p in episodes)
        )
    torch.set_num_threads(threads)
    figures["ratio_other_threads_over_threads_episodes_per_min"] = (
        figures["reuse_continuous_other_threads_episodes_per_min"] / figures["reuse_continuous_episodes_per_min"]
    )
    for mode in ("reuse", "reuse_continuous"):
        figures[f"speedup_{mode}_episodes_per_min"] = figures[f"{mode}_episodes_per_min"] / figures["padded_episodes_per_min"]
        figures[f"speedup_{mode}_tokens_per_cpu_s"] = figures[f"{mode}_tokens_per_cpu_s"] / figures["padded_tokens_per_cpu_s"]
        same = sum(
            [s.policy.token_ids for s in a.steps] == [s.policy.token_ids for s in b.steps]
            for a, b in zip(played["padded"], played[mode], strict=True)
        )
        figures[f"{mode}_episodes_identical_to_padded"] = f"{same}/{questions}"
    return figures


SECTIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "distributed": bench_distributed,
    "env": bench_env,
    "retrieval": bench_retrieval,
    "rollout": bench_rollout,
    "serving": bench_serving,
    "trajectory": bench_trajectory,
    "policy": bench_policy,
}
"""Section name -> its function."""

QUICK: dict[str, dict[str, Any]] = {
    "distributed": {"episodes": 8, "turns": 2, "latency_s": 0.05, "envs_per_worker": 2, "work": 2_000},
    "env": {"episodes": 4, "turns": 2},
    "retrieval": {"n_queries": 30, "http": False, "lucene": False},
    "rollout": {"episodes": 8, "turns": 2, "latency_s": 0.05, "sequential_episodes": 1},
    "serving": {"sessions": 4, "steps": 5},
    "trajectory": {"episodes": 2, "max_new_tokens": 8, "turns": 2},
    "policy": {"questions": 2, "max_new_tokens": 8, "batch_size": 2},
}
"""Sizes of ``--quick`` (a smoke run for tests and CI)."""


def run_bench(sections: Sequence[str], *, quick: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the sections; return ``{section: figures}``; a failing section reports its error instead."""
    results: dict[str, Any] = {}
    for name in sections:
        log(f"bench {name} ...")
        started = time.perf_counter()
        try:
            results[name] = SECTIONS[name](**(QUICK[name] if quick else {}))
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        results[name]["section_wall_s"] = time.perf_counter() - started
    return results
