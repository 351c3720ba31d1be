"""GRPORecipe: the few knobs of a GRPO run, with a CPU smoke preset and Agent-R1's GPU preset.

The recipe is ours; :meth:`GRPORecipe.trl_config` turns it into TRL's ``GRPOConfig`` (TRL does the GRPO
update). Batch sizes count *prompts* here, as Agent-R1 does; TRL counts completions, and the conversion is
``completions = prompts × num_generations``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_gym.errors import ConfigError

__all__ = ["PRESETS", "GRPORecipe"]


class GRPORecipe(BaseModel):
    """One GRPO run's settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: int = Field(2, ge=1)
    """Optimizer steps."""
    prompts_per_step: int = Field(1, ge=1)
    """Tasks per optimizer step (Agent-R1: 128)."""
    num_generations: int = Field(4, ge=2)
    """Episodes per task, the group GRPO normalises rewards in (Agent-R1: 5)."""
    micro_batch: int = Field(4, ge=1)
    """Completions per forward/backward pass; the rest is gradient accumulation."""
    learning_rate: float = Field(1e-5, gt=0)
    """AdamW learning rate (Agent-R1: 1e-6)."""
    beta: float = Field(0.0, ge=0)
    """KL coefficient to the reference model (Agent-R1: 0.001); 0 loads no reference."""
    max_new_tokens: int = Field(32, ge=1)
    """Generation budget per turn."""
    max_turns: int = Field(2, ge=1)
    """Turn limit of each episode, passed to the env (Agent-R1: up to 5)."""
    temperature: float = Field(1.0, gt=0)
    """Sampling temperature of the rollouts."""
    save_steps: int = Field(1, ge=1)
    """Checkpoint every this many steps (the newest two are kept)."""
    seed: int = 0
    """Seeds TRL (data order, initialisation) and, through the task list, the rollouts."""
    use_cpu: bool = True
    """Train on CPU; False requires a CUDA GPU."""
    bf16: bool = False
    """bfloat16 training (GPU only)."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: saves memory at long sequences (on CPU about half of a long
    episode's), costs up to ~30% of a step's compute (on CPU none was measured: one 2,958-token episode took 88
    CPU-s with it, 96 without, the difference being page faults)."""

    @model_validator(mode="after")
    def _divisible(self) -> GRPORecipe:
        completions = self.prompts_per_step * self.num_generations
        if completions % self.micro_batch:
            raise ConfigError(
                f"prompts_per_step × num_generations = {completions} completions must split into micro batches of "
                f"{self.micro_batch}; choose micro_batch dividing {completions}"
            )
        return self

    def trl_config(self, output_dir: str, **overrides: Any) -> Any:
        """TRL's ``GRPOConfig`` for this recipe (imports trl)."""
        from trl import GRPOConfig

        completions = self.prompts_per_step * self.num_generations
        values: dict[str, Any] = {
            "output_dir": output_dir,
            "max_steps": self.steps,
            "learning_rate": self.learning_rate,
            "beta": self.beta,
            "num_generations": self.num_generations,
            "per_device_train_batch_size": self.micro_batch,
            "gradient_accumulation_steps": completions // self.micro_batch,
            "max_completion_length": self.max_new_tokens * self.max_turns,
            "temperature": self.temperature,
            "logging_steps": 1,
            "save_steps": self.save_steps,
            "save_total_limit": 2,
            "seed": self.seed,
            "use_cpu": self.use_cpu,
            "bf16": self.bf16,
            "gradient_checkpointing": self.gradient_checkpointing,
            "report_to": "none",
            "disable_tqdm": True,
            "mask_truncated_completions": False,  # a multi-turn completion ends on env tokens, not on EOS
        }
        values.update(overrides)
        return GRPOConfig(**values)


PRESETS: dict[str, GRPORecipe] = {
    # CI and the CPU learning runs: one task × 4 episodes per step, short turns.
    "cpu-smoke": GRPORecipe(),
    # Multi-hop QA from an SFT adapter on this machine (2 CPU cores): 1 question × 4 episodes of up to 5 turns per
    # step, one completion per forward pass, a LoRA learning rate, no reference model (beta 0). One 2,958-token
    # episode's forward and backward took +10.6 GB through TRL's own scoring, +6.8 GB with the LM head at policy
    # tokens only (PolicyTokenGRPOTrainer), +3.5 GB with gradient checkpointing too, in about the same CPU time.
    "cpu-qa": GRPORecipe(
        steps=8,
        prompts_per_step=1,
        num_generations=4,
        micro_batch=1,
        learning_rate=5e-5,
        max_new_tokens=64,
        max_turns=5,
        gradient_checkpointing=True,
    ),
    # Agent-R1's setting: batch 128 tasks × 5 rollouts, lr 1e-6, KL 0.001, up to 5 turns; needs a GPU.
    "gpu-agent-r1": GRPORecipe(
        steps=200,
        prompts_per_step=128,
        num_generations=5,
        micro_batch=10,
        learning_rate=1e-6,
        beta=0.001,
        max_new_tokens=512,
        max_turns=5,
        save_steps=20,
        use_cpu=False,
        bf16=True,
        gradient_checkpointing=True,
    ),
}
"""Named recipes: ``agent-gym train grpo --config NAME``."""
