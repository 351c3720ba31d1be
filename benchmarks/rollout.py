"""Rollout overlap benchmark: 64 episodes x 4 turns with 0.2 s of simulated tool latency per call.

Every turn makes one ``lookup`` call whose latency really sleeps (``NoiseModel(latency_mean_s=0.2, sleep=True)``),
so a sequential rollout takes ``episodes x turns x 0.2 s``. With ``C`` env instances the ideal, fully overlapped
time is ``ceil(episodes / C) x turns x 0.2 s``. The benchmark prints the measured time against both. The
timed run follows a one-episode warm-up in the same process; it includes building the ``C`` env instances.

Run: ``python -m agent_gym.benchmarks.rollout [--episodes 64] [--turns 4] [--concurrency 64] [--sequential]``.
This is a benchmark, not a test: the figures are in ``docs/results.md``.
"""

from __future__ import annotations

import argparse
import math
import time

__all__ = ["main", "measure"]

LATENCY_S = 0.2


def measure(episodes: int, turns: int, concurrency: int) -> float:
    """Wall-clock seconds of one rollout of the latency-bound scripted workload."""
    import agent_gym  # noqa: F401 - registers the envs
    from agent_gym.baselines.policies import ScriptedPolicy
    from agent_gym.noise import NoiseModel
    from agent_gym.rollout import RolloutEngine

    call = '<tool_call>{"name": "lookup", "arguments": {"key": "x"}}</tool_call>'
    # Warm-up without latency: lazy imports (tqdm, the env module) and the tool's schema are one-time costs of
    # a process, not of overlapping tool calls.
    RolloutEngine("KeyValueLookup-v0", ScriptedPolicy([call]), concurrency=1, env_kwargs={"max_turns": 1}).run([0])
    env_kwargs = {"noise": NoiseModel(latency_mean_s=LATENCY_S, sleep=True), "max_turns": turns}
    engine = RolloutEngine("KeyValueLookup-v0", ScriptedPolicy([call]), concurrency=concurrency, env_kwargs=env_kwargs)
    started = time.perf_counter()
    result = engine.run(range(episodes))
    elapsed = time.perf_counter() - started
    assert sum(len(e.steps) for e in result) == episodes * turns, "every episode must run all its turns"
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sequential", action="store_true", help="also measure concurrency 1 (takes episodes x turns x 0.2 s)")
    args = parser.parse_args(argv)

    ideal = math.ceil(args.episodes / args.concurrency) * args.turns * LATENCY_S
    sequential_ideal = args.episodes * args.turns * LATENCY_S
    elapsed = measure(args.episodes, args.turns, args.concurrency)
    print(f"{args.episodes} episodes x {args.turns} turns, {LATENCY_S} s tool latency, concurrency {args.concurrency}")
    print(f"  measured           {elapsed:7.2f} s")
    print(f"  ideal overlapped   {ideal:7.2f} s   measured / ideal = {elapsed / ideal:.2f}x (target <= 1.3x)")
    if args.sequential:
        sequential = measure(args.episodes, args.turns, 1)
        print(f"  sequential run     {sequential:7.2f} s   speed-up {sequential / elapsed:.1f}x")
    else:
        print(
            f"  sequential (calc.) {sequential_ideal:7.2f} s   speed-up {sequential_ideal / elapsed:.1f}x"
            " (--sequential to measure)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
