"""``agent-gym train {sft,grpo,ppo} --env ENV_ID --policy MODEL``: train a local causal LM on an env.

SFT runs TRL's ``SFTTrainer`` on teacher episodes played in the env, through a LoRA adapter; GRPO runs through
TRL's ``GRPOTrainer`` with agent-gym's rollouts; PPO is agent-gym's own. All three read the **train** split
(``--split``; the dev split, which the leaderboard scores, only with ``--allow-dev-split``) in seeded epochs
(:mod:`agent_gym.rollout.tasks`), write ``checkpoint-<step>`` folders and the final model (or adapter) into
``--output-dir``, loadable with ``--policy DIR``, and resume from the newest checkpoint when re-run.

Examples::

    agent-gym train sft --env MultiHopQA-v0 --config cpu-qa --output-dir runs/sft
    agent-gym train grpo --env MultiHopQA-v0 --policy runs/sft --config cpu-qa --seed 1 --output-dir runs/grpo
    agent-gym train ppo --env MultiHopQA-v0 --policy runs/sft --config cpu-qa --seed 3 --output-dir runs/ppo
    agent-gym train grpo --env KeyValueLookup-v0 -k hops=1 --policy embedded --steps 2 --output-dir runs/kv
    agent-gym train grpo --env MultiHopQA-v0 --policy runs/sft --config gpu-agent-r1 --output-dir runs/r1
    agent-gym train grpo --env MultiHopQA-v0 --policy sft --config cpu-qa --output-dir runs/grpo   # the shipped SFT agent
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent_gym.cli._pairs import parse_pairs
from agent_gym.cli._policy_args import POLICY_METAVAR, policy_help, policy_spec
from agent_gym.errors import AgentGymError, ConfigError

__all__ = ["load_policy_model", "main", "run"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-gym train", description=__doc__.split("\n\n")[0])
    parser.add_argument("algorithm", choices=["sft", "grpo", "ppo"], help="sft and grpo (through TRL) or ppo (ours)")
    parser.add_argument("--env", required=True, help="a registered env id (see `agent-gym list`)")
    parser.add_argument("--kwarg", "-k", action="append", default=[], metavar="KEY=VALUE", help="env argument (repeatable)")
    parser.add_argument(
        "--policy",
        default="embedded",
        type=policy_spec,
        metavar=POLICY_METAVAR,
        help=policy_help("the model to start from (a local one: embedded, a shipped agent, a checkpoint folder or .gguf)"),
    )
    parser.add_argument("--output-dir", required=True, help="checkpoints, metrics.jsonl and the final model go here")
    parser.add_argument("--config", default="cpu-smoke", help="recipe: cpu-smoke, cpu-qa, gpu-agent-r1 (grpo, ppo), gpu (sft)")
    parser.add_argument("--split", help="data split to train on (default: train; envs without splits take none)")
    parser.add_argument("--allow-dev-split", action="store_true", help="allow training on dev, which the leaderboard scores")
    parser.add_argument(
        "--holdout", type=int, default=32, help="tasks of the split kept out of training, for held-out curves (default 32)"
    )
    parser.add_argument("--lora-rank", type=int, help="sft: LoRA rank (default: the recipe's)")
    parser.add_argument("--steps", type=int, help="optimizer steps (default: the recipe's)")
    parser.add_argument("--episodes", type=int, help="episodes per step (grpo: tasks × --generations); sft: episodes in all")
    parser.add_argument("--generations", type=int, help="grpo: episodes per task")
    parser.add_argument("--lr", type=float, help="learning rate (default: the recipe's)")
    parser.add_argument("--max-new-tokens", type=int, help="generation budget per turn")
    parser.add_argument("--max-turns", type=int, help="turn limit per episode")
    parser.add_argument("--kl", type=float, help="KL coefficient to the reference model")
    parser.add_argument("--seed", type=int, default=0, help="seeds initialisation, task order and sampling")
    parser.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE", help="any recipe / PPOConfig field")
    parser.add_argument("--no-resume", action="store_true", help="start over even if --output-dir has checkpoints")
    return parser


def load_policy_model(policy: str, *, trainable_adapter: bool = False) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of a local policy spec: ``embedded``, a shipped agent (``sft``, ...), a checkpoint or
    adapter folder, or a ``.gguf`` file (no hub access); :meth:`PolicySpec.load_model
    <agent_gym.baselines.policies.spec.PolicySpec.load_model>` of the parsed spec.

    Args:
        policy: The spec, in the grammar every ``--policy`` takes.
        trainable_adapter: For an adapter, keep it a peft model whose adapter trains on (GRPO/PPO from SFT).

    Raises:
        ConfigError: a spec that does not parse, or one that names no local model (an endpoint, ``oracle``, ...).
    """
    from agent_gym.baselines.policies.spec import PolicySpec

    return PolicySpec.parse(policy).load_model(trainable_adapter=trainable_adapter)


def _plan(args: argparse.Namespace, env_kwargs: dict[str, Any]) -> Any:
    from agent_gym.rollout.tasks import TaskPlan

    return TaskPlan.for_env(
        args.env, env_kwargs, split=args.split, seed=args.seed, allow_dev=args.allow_dev_split, holdout=args.holdout
    )


def _grpo_recipe(args: argparse.Namespace) -> Any:
    from agent_gym.baselines.grpo.config import PRESETS

    if args.config not in PRESETS:
        raise ConfigError(f"unknown --config {args.config!r} for grpo; expected one of {sorted(PRESETS)}")
    recipe = PRESETS[args.config]
    updates: dict[str, Any] = {"seed": args.seed}
    generations = args.generations or recipe.num_generations
    if args.episodes is not None:
        if args.episodes % generations:
            raise ConfigError(f"--episodes ({args.episodes}) must be a multiple of --generations ({generations})")
        updates.update(prompts_per_step=args.episodes // generations, micro_batch=args.episodes)
    if args.generations is not None:
        updates["num_generations"] = args.generations
    named = {"steps": args.steps, "learning_rate": args.lr, "max_new_tokens": args.max_new_tokens}
    named.update(max_turns=args.max_turns, beta=args.kl)
    updates.update({k: v for k, v in named.items() if v is not None})
    updates.update(parse_pairs(args.set, "--set"))
    return type(recipe)(**{**recipe.model_dump(), **updates})


def _sft_recipe(args: argparse.Namespace) -> Any:
    from agent_gym.baselines.sft.recipe import PRESETS

    if args.config not in PRESETS:
        raise ConfigError(f"unknown --config {args.config!r} for sft; expected one of {sorted(PRESETS)}")
    named = {"episodes": args.episodes, "learning_rate": args.lr, "max_turns": args.max_turns, "lora_rank": args.lora_rank}
    updates = {"seed": args.seed, **{k: v for k, v in named.items() if v is not None}, **parse_pairs(args.set, "--set")}
    return PRESETS[args.config].model_copy(update=updates)


def _ppo_run(args: argparse.Namespace) -> Any:
    from agent_gym.baselines.ppo.config import PRESETS

    if args.config not in PRESETS:
        raise ConfigError(f"unknown --config {args.config!r} for ppo; expected one of {sorted(PRESETS)}")
    run = PRESETS[args.config]
    named = {"steps": args.steps, "episodes": args.episodes, "max_new_tokens": args.max_new_tokens, "max_turns": args.max_turns}
    sizing = {k: v for k, v in named.items() if v is not None}
    ppo_named = {"learning_rate": args.lr, "kl_coef": args.kl}
    ppo = {"seed": args.seed, **{k: v for k, v in ppo_named.items() if v is not None}, **parse_pairs(args.set, "--set")}
    return run.model_copy(update={**sizing, "ppo": run.ppo.model_copy(update=ppo)})


def _run_ppo(args: argparse.Namespace, model: Any, tokenizer: Any, plan: Any) -> list[dict[str, float]]:
    from agent_gym.baselines.ppo import PPOTrainer, train
    from agent_gym.integrations.rollouts import TrainingRollouts
    from agent_gym.rollout.tasks import sampling_seed

    run = _ppo_run(args)
    if run.max_turns is not None:
        plan = plan.model_copy(update={"env_kwargs": {**plan.env_kwargs, "max_turns": run.max_turns}})
    rollouts = TrainingRollouts(plan, tokenizer, max_new_tokens=run.max_new_tokens, batch_size=run.episodes)
    n = run.episodes

    def collect(policy: Any, step: int) -> list:
        seeds = [sampling_seed(plan.seed, step, slot) for slot in range(n)]
        return [sample.trajectory for sample in rollouts.collect(policy, plan.step_tasks(step, n), seeds)]

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    trainer = PPOTrainer(model, run.ppo, pad_id=pad_id)
    output = Path(args.output_dir)
    if args.no_resume:
        _clear_checkpoints(output)
    return train(trainer, collect, run.steps, output, tokenizer=tokenizer, log=_print_step)


def _run_grpo(args: argparse.Namespace, model: Any, tokenizer: Any, plan: Any) -> list[dict[str, float]]:
    from agent_gym.baselines.grpo.recipe import train_grpo

    recipe = _grpo_recipe(args)
    if "max_turns" in plan.env_kwargs and args.max_turns is None:  # an explicit env argument wins over the recipe
        recipe = recipe.model_copy(update={"max_turns": int(plan.env_kwargs["max_turns"])})
    return train_grpo(model, tokenizer, plan, recipe, args.output_dir, resume=not args.no_resume)


def _run_sft(args: argparse.Namespace, model: Any, tokenizer: Any, plan: Any) -> list[dict[str, float]]:
    from agent_gym.baselines.policies.adapters import EMBEDDED_BASE
    from agent_gym.baselines.sft.recipe import train_sft

    path = args.policy.model_path()
    base = EMBEDDED_BASE if path is None else str(path)
    if args.no_resume:
        _clear_checkpoints(Path(args.output_dir))
    return train_sft(model, tokenizer, plan, _sft_recipe(args), args.output_dir, base=base, resume=not args.no_resume)


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
    from agent_gym.baselines.ppo.runtime import check_machine

    settings = {"grpo": _grpo_recipe, "sft": _sft_recipe, "ppo": lambda a: _ppo_run(a).ppo}[args.algorithm](args)
    check_machine(settings.use_cpu, settings.bf16)  # refuse before loading the model
    args.policy.model_path()  # refuses a spec that names no local model (an endpoint, oracle) before anything else
    plan = _plan(args, parse_pairs(args.kwarg, "--kwarg"))  # refuses the dev split before loading the model
    torch.manual_seed(args.seed)
    model, tokenizer = args.policy.load_model(trainable_adapter=args.algorithm != "sft")
    runner = {"grpo": _run_grpo, "ppo": _run_ppo, "sft": _run_sft}[args.algorithm]
    return runner(args, model, tokenizer, plan)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        history = run(argv)
    except (AgentGymError, ValueError) as exc:  # pydantic reports bad settings as ValueError
        print(f"agent-gym train: {exc}", file=sys.stderr)
        return 1
    if history:
        key = "reward_mean" if "reward_mean" in history[-1] else "loss"
        print(f"done: {len(history)} steps, {key} {history[0].get(key)} -> {history[-1].get(key)}", flush=True)
    return 0
