"""SFTRecipe and :func:`train_sft`: TRL's ``SFTTrainer`` on teacher episodes, through a LoRA adapter.

What is TRL: the trainer (optimizer, schedule, checkpoints, resume) and the label building from our
``completion_mask`` (``completion_only_loss``: the loss counts the teacher's tokens only, never the env's).
What is ours: the episodes (played in the env on the train split), their token layout (the trajectory
builder's, identical to the student's rollouts) and the adapter that ships (:mod:`..policies.adapters`).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import TrainingError
from agent_gym.rollout.tasks import TaskPlan
from agent_gym.utils.divergence import check_finite

__all__ = ["PRESETS", "SFTRecipe", "train_sft"]


class SFTRecipe(BaseModel):
    """One SFT run's settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    episodes: int = Field(96, ge=1)
    """Teacher episodes played (the first ones of the plan's walk of the train split)."""
    teacher: Literal["bridge", "two-hop"] = "bridge"
    """``bridge``: the question-first oracle (searches again only when a passage names a missing supporting title);
    ``two-hop``: :class:`~agent_gym.baselines.policies.teacher.TwoHopTeacher` (always searches twice), keeping only
    the episodes that found every supporting paragraph (:func:`~agent_gym.baselines.policies.teacher.learnable`)."""
    epochs: float = Field(1.0, gt=0)
    """Passes over the episodes."""
    learning_rate: float = Field(2e-4, gt=0)
    """AdamW learning rate of the adapter (LoRA takes ~10-100x a full fine-tune's)."""
    batch_size: int = Field(8, ge=1)
    """Episodes per optimizer step (one per forward pass, the rest accumulated: rows differ in length)."""
    lora_rank: int = Field(4, ge=1)
    """Rank of the LoRA on every linear layer (0.9 M trainable weights at 4 on SmolLM2-135M; 2.4 MB in float16)."""
    max_length: int = Field(2048, ge=64)
    """Rows are cut to this many tokens."""
    max_turns: int = Field(5, ge=2)
    """Turn limit of the teacher's episodes (the leaderboard's)."""
    save_steps: int = Field(5, ge=1)
    """Checkpoint every this many steps (the newest two are kept), so a killed run resumes."""
    seed: int = 0
    """Seeds the task walk and TRL (initialisation of the adapter, data order)."""
    use_cpu: bool = True
    """Train on CPU; False requires a CUDA GPU."""
    bf16: bool = False
    """bfloat16 training (GPU only)."""

    def trl_config(self, output_dir: str, steps: int) -> Any:
        """TRL's ``SFTConfig`` for this recipe (imports trl)."""
        from trl import SFTConfig

        return SFTConfig(
            output_dir=output_dir,
            max_steps=steps,
            learning_rate=self.learning_rate,
            lr_scheduler_type="constant_with_warmup",
            warmup_steps=max(1, steps // 10),
            per_device_train_batch_size=1,
            gradient_accumulation_steps=self.batch_size,
            max_length=self.max_length,
            completion_only_loss=True,
            packing=False,
            logging_steps=1,
            save_steps=self.save_steps,
            save_total_limit=2,
            seed=self.seed,
            data_seed=self.seed,
            use_cpu=self.use_cpu,
            bf16=self.bf16,
            report_to="none",
            disable_tqdm=True,
            gradient_checkpointing=False,  # memory is plentiful at 135M; recomputing costs ~10% on CPU
        )


PRESETS: dict[str, SFTRecipe] = {
    # This machine (2 CPU cores): 256 teacher episodes, one epoch, 64 steps of 4 at a high LoRA learning rate (at
    # 2e-4 and 8 episodes a step, the model still wrote prose after 5 steps). 64 episodes taught the tool format
    # but not when to answer (the agent repeated its first search); see docs/results.md.
    "cpu-qa": SFTRecipe(episodes=256, batch_size=4, learning_rate=1e-3),
    # The always-search-twice start (docs/results.md): 256 two-hop teacher episodes played, the ~2/3 that found every
    # supporting paragraph kept (172 of the first 256 train tasks), the cpu-qa optimiser settings.
    "cpu-qa-2hop": SFTRecipe(episodes=256, batch_size=4, learning_rate=1e-3, teacher="two-hop"),
    # CI: two episodes, one step.
    "cpu-smoke": SFTRecipe(episodes=2, batch_size=2, max_length=512, save_steps=1),
    # A GPU: the whole train split (800 questions), three epochs.
    "gpu": SFTRecipe(episodes=800, epochs=3.0, batch_size=16, lora_rank=16, use_cpu=False, bf16=True, save_steps=50),
}


def train_sft(
    model: Any,
    tokenizer: Any,
    plan: TaskPlan,
    recipe: SFTRecipe,
    output_dir: str | Path,
    *,
    base: str,
    resume: bool = True,
) -> list[dict[str, float]]:
    """Collect teacher episodes, train a LoRA adapter on them, write it (and ``card.json``) into ``output_dir``.

    Args:
        model: The base causal LM.
        tokenizer: Its tokenizer.
        plan: Env, split and task order (the train split unless the plan was built otherwise).
        recipe: The run's settings.
        output_dir: ``checkpoint-<step>`` folders (TRL), ``metrics.jsonl``, and the final adapter.
        base: What the adapter goes on (:data:`~agent_gym.baselines.policies.adapters.EMBEDDED_BASE` or a folder).
        resume: Continue from the newest checkpoint in ``output_dir``.

    Returns:
        The per-step metrics (``step``, ``loss``, ...).
    """
    import os

    from agent_gym.baselines.checkpoints import newest_trainer_checkpoint
    from agent_gym.baselines.policies.adapters import lora_config, save_adapter
    from agent_gym.baselines.ppo.runtime import check_machine
    from agent_gym.baselines.sft.data import collect_teacher_rows

    check_machine(recipe.use_cpu, recipe.bf16)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from datasets import Dataset
    from trl import SFTTrainer

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    plan = plan.model_copy(update={"env_kwargs": {"max_turns": recipe.max_turns, **plan.env_kwargs}})
    teacher, keep = _teacher(recipe.teacher)
    rows, episodes = collect_teacher_rows(
        plan, tokenizer, plan.tasks(0, recipe.episodes), teacher=teacher, keep=keep, max_length=recipe.max_length
    )
    if not rows:
        raise TrainingError("the teacher produced no episode to train on; check the env and its split")
    rows = [r for r in rows if 1 in r["completion_mask"]]
    if not rows:
        raise TrainingError(
            f"every teacher episode's turns lie past max_length={recipe.max_length} tokens, so nothing is left to train "
            "on; raise it (--set max_length=4096)"
        )
    steps = max(1, math.ceil(len(rows) * recipe.epochs / recipe.batch_size))
    log_path = output_dir / "metrics.jsonl"
    trainer = SFTTrainer(
        model=model,
        args=recipe.trl_config(str(output_dir), steps),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(recipe.lora_rank),
        callbacks=[_curve(log_path)],
    )
    checkpoint = newest_trainer_checkpoint(output_dir) if resume else None
    trainer.train(resume_from_checkpoint=checkpoint)
    save_adapter(trainer.model, output_dir, base=base)
    card = {
        "method": "sft",
        "env_id": plan.env_id,
        "split": plan.split,
        "holdout": plan.holdout,
        "env_kwargs": plan.env_kwargs,
        "teacher": "OraclePolicy(question_first=True)" if recipe.teacher == "bridge" else "TwoHopTeacher() (learnable episodes)",
        "teacher_em": sum(e.metrics.get("em", 0.0) for e in episodes) / len(episodes),
        "episodes": len(rows),
        "tokens": sum(len(r["input_ids"]) for r in rows),
        "trained_tokens": sum(sum(r["completion_mask"]) for r in rows),
        "steps": steps,
        "recipe": recipe.model_dump(),
        "wall_s": round(time.perf_counter() - began, 1),
    }
    (output_dir / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return [json.loads(line) for line in log_path.read_text().splitlines()] if log_path.exists() else []


def _teacher(name: str) -> tuple[Any, Any]:
    """(teacher policy, episode filter) of a recipe's ``teacher``."""
    if name == "two-hop":
        from agent_gym.baselines.policies.teacher import TwoHopTeacher, learnable

        return TwoHopTeacher(), learnable
    from agent_gym.baselines.policies.oracle import OraclePolicy

    return OraclePolicy(question_first=True), None


def _curve(log_path: Path) -> Any:
    """A callback that writes each logged step to ``metrics.jsonl`` and stops on a non-finite loss."""
    from transformers import TrainerCallback

    class _Curve(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **_: Any) -> None:
            logs = logs or {}
            loss = logs.get("loss")
            if loss is None:
                return
            check_finite("loss", [loss], step=state.global_step, before="checkpointing")
            row = {"step": state.global_step, "loss": loss, **{k: logs[k] for k in ("grad_norm", "learning_rate") if k in logs}}
            with open(log_path, "a") as f:
                f.write(json.dumps(row) + "\n")

    return _Curve()
