"""``agent-gym train {grpo,ppo} --env ENV_ID --policy MODEL``: train a local causal LM on an env.

GRPO runs through TRL's ``GRPOTrainer`` with agent-gym's rollouts; PPO is agent-gym's own. Both write
``checkpoint-<step>`` folders and the final model into ``--output-dir``, each loadable with
``--policy transformers -p model=DIR`` (or ``TransformersPolicy(DIR)``). Re-running the same command resumes
from the newest checkpoint.

Examples::

    agent-gym train grpo --env KeyValueLookup-v0 -k hops=1 --policy embedded --steps 2 --output-dir runs/grpo
    agent-gym train ppo --env KeyValueLookup-v0 -k hops=1 --policy runs/grpo --steps 10 --output-dir runs/ppo
    agent-gym train grpo --env MultiHopQA-v0 --policy embedded --config gpu-agent-r1 --output-dir runs/r1
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent_gym.errors import AgentGymError, ConfigError

__all__ = ["load_policy_model", "main", "parse_pairs", "run"]


def parse_pairs(pairs: list[str], flag: str) -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}`` (values parsed as JSON when they can be).

    Example:
        >>> parse_pairs(["hops=1", "reward=process"], "--kwarg")
        {'hops': 1, 'reward': 'process'}
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-gym train", description=__doc__.split("\n\n")[0])
    parser.add_argument("algorithm", choices=["grpo", "ppo"], help="grpo (through TRL) or ppo (agent-gym's own)")
    parser.add_argument("--env", required=True, help="a registered env id (see `agent-gym list`)")
    parser.add_argument("--kwarg", "-k", action="append", default=[], metavar="KEY=VALUE", help="env argument (repeatable)")
    parser.add_argument("--policy", default="embedded", help="'embedded' (SmolLM2-135M) or a checkpoint folder / .gguf")
    parser.add_argument("--output-dir", required=True, help="checkpoints, metrics.jsonl and the final model go here")
    parser.add_argument("--config", default="cpu-smoke", help="grpo recipe: cpu-smoke or gpu-agent-r1")
    parser.add_argument("--steps", type=int, help="optimizer steps (default: the recipe's)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per step (grpo: tasks × --generations)")
    parser.add_argument("--generations", type=int, default=4, help="grpo: episodes per task")
    parser.add_argument("--lr", type=float, help="learning rate (default: the recipe's)")
    parser.add_argument("--max-new-tokens", type=int, help="generation budget per turn")
    parser.add_argument("--max-turns", type=int, help="turn limit per episode")
    parser.add_argument("--kl", type=float, help="KL coefficient to the reference model")
    parser.add_argument("--seed", type=int, default=0, help="seeds initialisation, task order and sampling")
    parser.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE", help="any recipe / PPOConfig field")
    parser.add_argument("--no-resume", action="store_true", help="start over even if --output-dir has checkpoints")
    return parser


def load_policy_model(policy: str) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of ``embedded`` or of a local checkpoint folder / GGUF file (no hub access)."""
    from agent_gym.baselines.policies.transformers_lm import load_causal_lm

    if policy == "embedded":
        from agent_gym.baselines.policies.embedded import embedded_checkpoint

        return load_causal_lm(embedded_checkpoint())
    if not Path(policy).expanduser().exists():
        raise ConfigError(f"--policy must be 'embedded' or a local checkpoint folder / .gguf file, got {policy!r}")
    return load_causal_lm(policy)


def _grpo_recipe(args: argparse.Namespace) -> Any:
    from agent_gym.baselines.grpo.config import PRESETS

    if args.config not in PRESETS:
        raise ConfigError(f"unknown --config {args.config!r}; expected one of {sorted(PRESETS)}")
    recipe = PRESETS[args.config]
    updates: dict[str, Any] = {"seed": args.seed}
    if args.config == "cpu-smoke":
        if args.episodes % args.generations:
            raise ConfigError(f"--episodes ({args.episodes}) must be a multiple of --generations ({args.generations})")
        groups = args.episodes // args.generations
        updates.update(prompts_per_step=groups, num_generations=args.generations, micro_batch=args.episodes)
    named = {"steps": args.steps, "learning_rate": args.lr, "max_new_tokens": args.max_new_tokens}
    named.update(max_turns=args.max_turns, beta=args.kl)
    updates.update({k: v for k, v in named.items() if v is not None})
    updates.update(parse_pairs(args.set, "--set"))
    return type(recipe)(**{**recipe.model_dump(), **updates})


def _ppo_config(args: argparse.Namespace) -> Any:
    from agent_gym.baselines.ppo import PPOConfig

    named = {"learning_rate": args.lr, "kl_coef": args.kl}
    values = {"seed": args.seed, **{k: v for k, v in named.items() if v is not None}, **parse_pairs(args.set, "--set")}
    return PPOConfig.cpu_smoke(**values)


def _run_ppo(args: argparse.Namespace, model: Any, tokenizer: Any, env_kwargs: dict[str, Any]) -> list[dict[str, float]]:
    from agent_gym.baselines.ppo import PPOTrainer, train
    from agent_gym.integrations.rollouts import TrainingRollouts

    config = _ppo_config(args)
    if args.max_turns is not None:
        env_kwargs = {**env_kwargs, "max_turns": args.max_turns}
    rollouts = TrainingRollouts(
        args.env, tokenizer, env_kwargs=env_kwargs, max_new_tokens=args.max_new_tokens or 32, batch_size=args.episodes
    )
    n = args.episodes

    def collect(policy: Any, step: int) -> list:
        tasks = [args.seed * 100_000 + step * n + i for i in range(n)]
        return [sample.trajectory for sample in rollouts.collect(policy, tasks, [0] * n)]

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    trainer = PPOTrainer(model, config, pad_id=pad_id)
    output = Path(args.output_dir)
    if args.no_resume:
        _clear_checkpoints(output)
    return train(trainer, collect, args.steps or 2, output, tokenizer=tokenizer, log=_print_step)


def _run_grpo(args: argparse.Namespace, model: Any, tokenizer: Any, env_kwargs: dict[str, Any]) -> list[dict[str, float]]:
    from agent_gym.baselines.grpo.recipe import train_grpo

    recipe = _grpo_recipe(args)
    if "max_turns" in env_kwargs and args.max_turns is None:  # an explicit env argument wins over the recipe
        recipe = recipe.model_copy(update={"max_turns": int(env_kwargs["max_turns"])})
    return train_grpo(model, tokenizer, args.env, recipe, args.output_dir, env_kwargs=env_kwargs, resume=not args.no_resume)


def _print_step(metrics: dict[str, float]) -> None:
    shown = {k: round(v, 4) for k, v in metrics.items() if k in ("step", "reward_mean", "loss", "kl", "seconds")}
    print(json.dumps(shown), flush=True)


def _clear_checkpoints(output: Path) -> None:
    import shutil

    for folder in output.glob("checkpoint-*"):
        shutil.rmtree(folder, ignore_errors=True)
    (output / "metrics.jsonl").unlink(missing_ok=True)


def run(argv: list[str]) -> list[dict[str, float]]:
    """Parse ``argv``, train, and return the per-step metrics (what :func:`main` prints)."""
    import os

    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    from agent_gym.registry import registered_envs, suggest_env_id

    if args.env not in registered_envs():
        raise ConfigError(suggest_env_id(args.env))
    env_kwargs = parse_pairs(args.kwarg, "--kwarg")
    from agent_gym.baselines.ppo.runtime import check_machine

    settings = _grpo_recipe(args) if args.algorithm == "grpo" else _ppo_config(args)
    check_machine(settings.use_cpu, settings.bf16)  # refuse before loading the model
    torch.manual_seed(args.seed)
    model, tokenizer = load_policy_model(args.policy)
    runner = _run_grpo if args.algorithm == "grpo" else _run_ppo
    return runner(args, model, tokenizer, env_kwargs)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        history = run(argv)
    except (AgentGymError, ValueError) as exc:  # pydantic reports bad settings as ValueError
        print(f"agent-gym train: {exc}", file=sys.stderr)
        return 1
    if history:
        first, last = history[0].get("reward_mean"), history[-1].get("reward_mean")
        print(f"done: {len(history)} steps, reward_mean {first} -> {last}", flush=True)
    return 0
