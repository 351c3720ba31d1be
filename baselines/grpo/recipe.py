"""Run GRPO through TRL on an agent-gym env: our rollouts in, TRL's GRPO update, checkpoints out.

What is TRL: ``GRPOTrainer`` (group-normalised advantages, the clipped token-level loss, the KL term, the
optimizer, checkpointing and resuming). What is ours: the episodes (:class:`EnvRolloutFunc` on the rollout
engine), the env-token mask, the reward (the env's episode return), the recipe and the divergence stop, and
the LM head run at the policy's tokens only (:class:`~agent_gym.baselines.grpo.trainer.PolicyTokenGRPOTrainer`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from agent_gym.baselines.checkpoints import newest_trainer_checkpoint, snapshot_adapter
from agent_gym.baselines.grpo.config import GRPORecipe
from agent_gym.baselines.policies.adapters import is_peft_model, save_adapter
from agent_gym.baselines.ppo.runtime import check_machine
from agent_gym.errors import DivergenceError
from agent_gym.integrations.rollouts import TrainingRollouts
from agent_gym.integrations.trl import EnvRolloutFunc, env_reward, task_dataset
from agent_gym.rollout.tasks import TaskPlan
from agent_gym.utils.divergence import check_finite

__all__ = ["NO_SPREAD", "build_grpo_trainer", "run_grpo", "save_final", "train_grpo", "zero_spread_warning"]

NO_SPREAD = (
    "every group's episodes got the same reward, so every advantage is 0 and this step updated nothing "
    "(only the KL term moves the model); sample more per task (--generations), train on tasks the start sometimes "
    "gets right, or pay the process preset"
)
"""What a GRPO step without reward spread prints, and what a run made only of such steps ends with."""


def build_grpo_trainer(
    model: Any,
    tokenizer: Any,
    plan: TaskPlan,
    recipe: GRPORecipe,
    output_dir: str | Path,
) -> tuple[Any, EnvRolloutFunc]:
    """A TRL ``GRPOTrainer`` whose rollouts are agent-gym episodes of the plan's env and split.

    It is a :class:`PolicyTokenGRPOTrainer`: the LM head runs at the policy's tokens only, not the env's.

    Args:
        model: The causal LM to train (a loaded transformers model, or a ``peft`` model with trainable adapters).
        tokenizer: Its tokenizer, with a chat template.
        plan: Which tasks, in which order (:meth:`TaskPlan.for_env`: the train split by default); the env must
            honour ``options["index"]``. ``max_turns`` comes from the recipe unless the plan's env arguments set it.
        recipe: The run's settings.
        output_dir: Where TRL writes ``checkpoint-<step>`` folders and the final model.

    Raises:
        ConfigError: the recipe cannot run on this machine (bf16 on CPU, a GPU recipe without a GPU).
    """
    import os

    check_machine(recipe.use_cpu, recipe.bf16)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from agent_gym.baselines.grpo.trainer import PolicyTokenGRPOTrainer

    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    plan = plan.model_copy(update={"env_kwargs": {"max_turns": recipe.max_turns, **plan.env_kwargs}})
    rollouts = TrainingRollouts(
        plan,
        tokenizer,
        max_new_tokens=recipe.max_new_tokens,
        temperature=recipe.temperature,
        batch_size=recipe.num_generations * recipe.prompts_per_step,
    )
    # The dataset is the plan's walk, step by step; TRL must not reshuffle it (the plan's epochs are the shuffle).
    tasks = plan.tasks(0, recipe.steps * recipe.prompts_per_step)
    rollout_func = EnvRolloutFunc(rollouts, tasks)
    trainer = PolicyTokenGRPOTrainer(
        model=model,
        reward_funcs=[env_reward],
        args=recipe.trl_config(str(output_dir), shuffle_dataset=False),
        train_dataset=task_dataset(rollouts, tasks),
        processing_class=tokenizer,
        rollout_func=rollout_func,
        callbacks=[_watch(rollout_func, Path(output_dir))],
    )
    return trainer, rollout_func


def _watch(rollout_func: EnvRolloutFunc, output_dir: Path) -> Any:
    """A callback that stops on a NaN/inf loss before the step is checkpointed, writes the learning curve, and keeps
    each checkpoint's adapter for the held-out curve."""
    from transformers import TrainerCallback

    log_path = output_dir / "metrics.jsonl"

    class _Watch(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **_: Any) -> None:
            logs = logs or {}
            loss = logs.get("loss")
            if loss is not None:
                kept = newest_trainer_checkpoint(output_dir) or ""
                check_finite("loss", [loss], step=state.global_step, checkpoint=kept, before="checkpointing")
            if "loss" in logs:
                row = {"step": state.global_step, **rollout_func.last_metrics, "loss": loss}
                kept_keys = ("reward", "reward_std", "frac_reward_zero_std", "kl", "grad_norm")
                row.update({k: v for k, v in logs.items() if k in kept_keys})
                with open(log_path, "a") as f:
                    f.write(json.dumps(row) + "\n")
                if row.get("frac_reward_zero_std") == 1.0:
                    print(f"agent-gym train grpo: step {state.global_step}: {NO_SPREAD}", file=sys.stderr, flush=True)

        def on_save(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            snapshot_adapter(output_dir / f"checkpoint-{state.global_step}", output_dir)

    return _Watch()


def run_grpo(trainer: Any, output_dir: str | Path, *, resume: bool = True) -> None:
    """``trainer.train()``, resuming from ``output_dir``'s newest checkpoint; a divergence names the one kept.

    Raises:
        DivergenceError: a loss or reward became NaN/inf; no checkpoint was written after the last good one.
    """
    checkpoint = newest_trainer_checkpoint(output_dir) if resume else None
    try:
        trainer.train(resume_from_checkpoint=checkpoint)
    except DivergenceError as exc:
        kept = newest_trainer_checkpoint(output_dir)
        if kept is None or kept in str(exc):
            raise
        raise DivergenceError(f"{exc}; last good checkpoint: {kept}") from exc


def train_grpo(
    model: Any,
    tokenizer: Any,
    plan: TaskPlan,
    recipe: GRPORecipe,
    output_dir: str | Path,
    *,
    resume: bool = True,
) -> list[dict[str, float]]:
    """Train, resuming from ``output_dir``'s newest checkpoint; save the final model there; return the curve."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    trainer, _ = build_grpo_trainer(model, tokenizer, plan, recipe, output_dir)
    run_grpo(trainer, output_dir, resume=resume)
    save_final(trainer, tokenizer, output_dir)
    log = output_dir / "metrics.jsonl"
    history = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    warning = zero_spread_warning(history)
    if warning:
        print(f"agent-gym train grpo: WARNING: {warning}", file=sys.stderr, flush=True)
    return history


def zero_spread_warning(history: list[dict[str, float]]) -> str | None:
    """What to tell the user when no step of a run had reward spread in any group (None when some step had).

    Example:
        >>> zero_spread_warning([{"step": 1, "frac_reward_zero_std": 1.0}, {"step": 2, "frac_reward_zero_std": 0.5}])
        >>> zero_spread_warning([{"step": 1, "frac_reward_zero_std": 1.0}])[:40]
        'all 1 steps had no reward spread: every '
    """
    fractions = [row["frac_reward_zero_std"] for row in history if "frac_reward_zero_std" in row]
    if not fractions or any(f < 1.0 for f in fractions):
        return None
    return f"all {len(fractions)} steps had no reward spread: {NO_SPREAD}"


def save_final(trainer: Any, tokenizer: Any, output_dir: str | Path) -> None:
    """Write the trained model into ``output_dir``: the (float16) adapter when it trained through one, else the model."""
    if is_peft_model(trainer.model):
        save_adapter(trainer.model, output_dir)
    else:
        trainer.save_model(str(output_dir))
        tokenizer.save_pretrained(str(output_dir))
