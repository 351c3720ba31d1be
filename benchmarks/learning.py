"""Seeded CPU learning runs: GRPO (through TRL) and PPO (ours) on the embedded model, two seeds each.

Each run is one ``agent-gym train`` command; its curve is the mean return of the episodes sampled at each
step (``metrics.jsonl``). The script prints every curve, the gain of each run (mean of the last ``window``
steps minus mean of the first ``window``), the seed-to-seed spread, and saves a plot.

The task (the cheapest learnable signal for SmolLM2-135M on two shared cores, see ``docs/results.md``):
``KeyValueLookup-v0`` with the ``overlong`` reward component only and a 56-character action budget, one turn,
OpenAI tool format (the shortest prompt). A reply within the env's action budget scores 0, a longer one -1.

Run it with::

    python -m agent_gym.benchmarks.learning --out runs/learning
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

__all__ = ["TASK_KWARGS", "main", "summarise"]

ENV_ID = "KeyValueLookup-v0"
TASK_KWARGS = ["hops=1", "max_turns=1", "tool_format=openai", 'reward={"overlong": 1.0}', "max_action_chars=56"]
"""The env arguments of the learning task (``--kwarg`` pairs)."""


def _command(algorithm: str, seed: int, args: argparse.Namespace) -> list[str]:
    argv = [algorithm, "--env", ENV_ID, "--policy", args.policy, "--output-dir", str(args.out / f"{algorithm}-seed{seed}")]
    for pair in TASK_KWARGS:
        argv += ["-k", pair]
    argv += ["--steps", str(args.steps), "--episodes", str(args.episodes), "--seed", str(seed)]
    argv += ["--max-new-tokens", str(args.max_new_tokens), "--lr", str(args.lr), "--no-resume"]
    if algorithm == "grpo":
        argv += ["--generations", str(args.generations), "--kl", "0.001"]
    else:
        argv += ["--kl", "0.001", "--set", f"minibatch_size={args.episodes}"]
    return argv


def summarise(curves: dict[str, dict[int, list[float]]], window: int) -> dict[str, dict[str, float]]:
    """Per algorithm: the mean gain over seeds, the seed-to-seed spread of the gain, and of the final reward.

    Example:
        >>> out = summarise({"ppo": {0: [-1, -1, 0, 0], 1: [-1, -0.5, 0, 0]}}, window=2)
        >>> out["ppo"]["gain_mean"], out["ppo"]["gain_spread"]
        (0.875, 0.25)
    """
    result: dict[str, dict[str, float]] = {}
    for algorithm, by_seed in curves.items():
        gains = [statistics.fmean(c[-window:]) - statistics.fmean(c[:window]) for c in by_seed.values()]
        finals = [statistics.fmean(c[-window:]) for c in by_seed.values()]
        starts = [statistics.fmean(c[:window]) for c in by_seed.values()]
        result[algorithm] = {
            "start_mean": statistics.fmean(starts),
            "final_mean": statistics.fmean(finals),
            "gain_mean": statistics.fmean(gains),
            "gain_spread": max(gains) - min(gains),
            "final_spread": max(finals) - min(finals),
            "start_spread": max(starts) - min(starts),
        }
    return result


def evaluate(policy: str, episodes: int, max_new_tokens: int) -> tuple[float, float]:
    """Mean return and its standard error on ``episodes`` held-out tasks (sampled at temperature 1)."""
    from agent_gym.cli._pairs import parse_pairs
    from agent_gym.cli.train import load_policy_model
    from agent_gym.integrations.rollouts import TrainingRollouts
    from agent_gym.rollout.tasks import TaskPlan

    model, tokenizer = load_policy_model(policy)
    plan = TaskPlan.for_env(ENV_ID, parse_pairs(TASK_KWARGS, "-k"))
    rollouts = TrainingRollouts(plan, tokenizer, max_new_tokens=max_new_tokens, batch_size=episodes)
    held_out = plan.tasks(900_000, episodes)  # far past any training walk of this env
    returns = [s.episode.total_reward for s in rollouts.collect(model, held_out, list(range(episodes)))]
    return statistics.fmean(returns), statistics.stdev(returns) / len(returns) ** 0.5


def _evaluate_all(args: argparse.Namespace) -> dict[str, list[float]]:
    """Held-out mean return of the starting model and of every run's final model."""
    results = {"start": list(evaluate(args.policy, args.evaluate, args.max_new_tokens))}
    print(f"held-out ({args.evaluate} tasks) start: {results['start'][0]:+.3f} ± {results['start'][1]:.3f}", flush=True)
    for algorithm in args.algorithms:
        for seed in args.seeds:
            name = f"{algorithm}-seed{seed}"
            results[name] = list(evaluate(str(args.out / name), args.evaluate, args.max_new_tokens))
            print(f"held-out ({args.evaluate} tasks) {name}: {results[name][0]:+.3f} ± {results[name][1]:.3f}", flush=True)
    return results


def held_out_verdicts(held_out: dict[str, list[float]], algorithms: list[str]) -> dict[str, str]:
    """Per algorithm: does the held-out gain exceed both the seed-to-seed spread and twice the standard error?

    Example:
        >>> held_out_verdicts({"start": [-0.75, 0.08], "ppo-seed0": [0.0, 0.04], "ppo-seed1": [-0.1, 0.05]}, ["ppo"])
        {'ppo': 'gain +0.700 (finals -0.100..+0.000, spread 0.100): LEARNS'}
    """
    start, start_se = held_out["start"]
    out = {}
    for algorithm in algorithms:
        runs = [v for k, v in held_out.items() if k.startswith(f"{algorithm}-seed")]
        finals = [mean for mean, _ in runs]
        gain, spread = statistics.fmean(finals) - start, max(finals) - min(finals)
        noise = 2 * max(start_se, *(se for _, se in runs))
        verdict = "LEARNS" if gain > max(spread, noise) else "no clear gain"
        out[algorithm] = f"gain {gain:+.3f} (finals {min(finals):+.3f}..{max(finals):+.3f}, spread {spread:.3f}): {verdict}"
    return out


def _plot(curves: dict[str, dict[int, list[float]]], held_out: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bars) = plt.subplots(1, 2, figsize=(9, 3.5), gridspec_kw={"width_ratios": [2, 1]})
    names = list(held_out)
    bars.bar(range(len(names)), [held_out[n][0] for n in names], yerr=[held_out[n][1] for n in names], capsize=3)
    bars.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
    bars.set_title("held-out tasks, mean ± s.e.", fontsize=9)
    for algorithm, by_seed in curves.items():
        for seed, curve in by_seed.items():
            style = "-" if algorithm == "grpo" else "--"
            ax.plot(range(1, len(curve) + 1), curve, style, marker="o", ms=3, label=f"{algorithm} seed {seed}")
    ax.set_xlabel("training step")
    ax.set_ylabel("mean episode reward")
    ax.set_title(f"{ENV_ID}, overlong reward, SmolLM2-135M on CPU")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agent_gym.benchmarks.learning", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/learning"), help="one folder per run goes here")
    parser.add_argument("--algorithms", nargs="+", default=["grpo", "ppo"], choices=["grpo", "ppo"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--episodes", type=int, default=8, help="episodes per step")
    parser.add_argument("--generations", type=int, default=4, help="grpo group size")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--window", type=int, default=3, help="steps averaged at the start and the end")
    parser.add_argument("--policy", default="embedded")
    parser.add_argument("--plot", type=Path, help="default: OUT/learning.png")
    parser.add_argument("--jobs", type=int, default=4, help="runs trained at the same time")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--evaluate", type=int, default=32, help="held-out tasks scored before and after (0: skip)")
    parser.add_argument("--summarise-only", action="store_true", help="read the runs' metrics.jsonl, do not train")
    return parser


def _train_all(args: argparse.Namespace) -> bool:
    """Run every (algorithm, seed) as an ``agent-gym train`` subprocess, ``--jobs`` at a time."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "HF_HUB_OFFLINE": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}
    queue = [(a, s) for a in args.algorithms for s in args.seeds]
    running: list[tuple[str, int, float, subprocess.Popen]] = []
    ok = True
    while queue or running:
        while queue and len(running) < args.jobs:
            algorithm, seed = queue.pop(0)
            argv = _command(algorithm, seed, args)
            print("$ agent-gym train " + " ".join(f"'{a}'" if " " in a or "{" in a else a for a in argv), flush=True)
            log = open(args.out / f"{algorithm}-seed{seed}.log", "w")
            command = [sys.executable, "-m", "agent_gym.cli.main", "train", *argv]
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
            running.append((algorithm, seed, time.perf_counter(), process))
        time.sleep(2)
        for item in [r for r in running if r[3].poll() is not None]:
            algorithm, seed, began, process = item
            running.remove(item)
            ok &= process.returncode == 0
            print(f"{algorithm} seed {seed}: exit {process.returncode} after {time.perf_counter() - began:.0f} s", flush=True)
    return ok


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.summarise_only and not _train_all(args):
        print(f"a run failed; see the logs in {args.out}")
        return 1
    curves: dict[str, dict[int, list[float]]] = {}
    for algorithm in args.algorithms:
        for seed in args.seeds:
            lines = (args.out / f"{algorithm}-seed{seed}" / "metrics.jsonl").read_text().splitlines()
            rows = [json.loads(line) for line in lines]
            curves.setdefault(algorithm, {})[seed] = [float(r["reward_mean"]) for r in rows]
    for algorithm, by_seed in curves.items():
        for seed, curve in by_seed.items():
            print(f"{algorithm} seed {seed}: " + " ".join(f"{x:+.3f}" for x in curve))
    summary = summarise(curves, args.window)
    for algorithm, s in summary.items():
        verdict = "LEARNS" if s["gain_mean"] > max(s["gain_spread"], s["final_spread"]) else "no clear gain"
        print(
            f"{algorithm}: start {s['start_mean']:+.3f} -> final {s['final_mean']:+.3f}, gain {s['gain_mean']:+.3f} "
            f"(seed spread of the gain {s['gain_spread']:.3f}, of the final reward {s['final_spread']:.3f}): {verdict}"
        )
    previous = args.out / "summary.json"
    if args.evaluate:
        held_out = _evaluate_all(args)
    else:
        held_out = json.loads(previous.read_text()).get("held_out", {}) if previous.exists() else {}
    for algorithm, line in (held_out_verdicts(held_out, args.algorithms) if held_out else {}).items():
        print(f"{algorithm} held-out: {line}")
    (args.out / "summary.json").write_text(json.dumps({"curves": curves, "summary": summary, "held_out": held_out}, indent=1))
    plot = args.plot or args.out / "learning.png"
    _plot(curves, held_out, plot)
    print(f"plot: {plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
