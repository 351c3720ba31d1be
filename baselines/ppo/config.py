"""PPOConfig: every knob of our PPO, typed and frozen, each documented once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_gym.errors import ConfigError

__all__ = ["PRESETS", "PPOConfig", "PPORun"]


class PPOConfig(BaseModel):
    """Hyper-parameters of :class:`~agent_gym.baselines.ppo.trainer.PPOTrainer`.

    The defaults are Agent-R1's PPO settings where they apply to one machine (clip 0.2, GAE γ=1, λ=1,
    KL 0.001); :meth:`cpu_smoke` is the tiny setting CI runs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    learning_rate: float = Field(1e-6, gt=0)
    """Adam learning rate of the policy (and of the value head, times ``value_lr_scale``)."""
    value_lr_scale: float = Field(10.0, gt=0)
    """The value head learns this many times faster than the policy (it starts from scratch)."""
    clip_range: float = Field(0.2, gt=0)
    """PPO's ε: the probability ratio is clipped to ``[1-ε, 1+ε]``."""
    value_clip_range: float = Field(0.2, gt=0)
    """New values are clipped to ``old ± value_clip_range`` in the clipped value loss."""
    value_coef: float = Field(0.5, ge=0)
    """Weight of the value loss in the total loss."""
    gamma: float = Field(1.0, ge=0, le=1)
    """Discount per policy token (1: undiscounted, as in Agent-R1)."""
    lam: float = Field(1.0, ge=0, le=1)
    """GAE λ."""
    kl_coef: float = Field(0.001, ge=0)
    """Weight of the KL to the frozen reference model (k3 estimator, as a loss term); 0 disables the reference."""
    ppo_epochs: int = Field(1, ge=1)
    """Passes over each batch of rollouts."""
    minibatch_size: int = Field(4, ge=1)
    """Trajectories per gradient step."""
    max_grad_norm: float = Field(1.0, gt=0)
    """Gradients are clipped to this global norm."""
    whiten_advantages: bool = True
    """Normalise advantages to mean 0, std 1 over the tokens they are defined on."""
    advantage_mask: bool = True
    """GAE runs over policy tokens only (Agent-R1's advantage mask); False runs it over every completion token."""
    loss_mask: bool = True
    """Policy and KL losses count policy tokens only; False also trains on the env's tokens (the ablation)."""
    seed: int = 0
    """Seeds the value head's initialisation and minibatch shuffling."""
    use_cpu: bool = True
    """Train on CPU; False requires a CUDA GPU."""
    bf16: bool = False
    """Train in bfloat16 autocast (GPU only)."""
    gradient_checkpointing: bool = False
    """Keep each layer's input only and recompute the layer in the backward pass: with the LM head at policy tokens
    only, the backbone's activations are what a long episode costs (about 2.4 MB per token for the 135M model in
    fp32), for about a third more forward compute."""

    @model_validator(mode="after")
    def _check(self) -> PPOConfig:
        if self.loss_mask and not self.advantage_mask:
            return self  # Agent-R1's first ablation: advantages over all tokens, loss on policy tokens.
        if not self.loss_mask and self.advantage_mask:
            raise ConfigError(
                "loss_mask=False with advantage_mask=True trains env tokens on zero advantages; the paper's ablations "
                "are advantage_mask=False (loss mask kept) and both False"
            )
        return self

    @classmethod
    def cpu_smoke(cls, **overrides: object) -> PPOConfig:
        """A tiny, fast setting for CI and the CPU learning runs."""
        values: dict[str, object] = {"learning_rate": 1e-5, "minibatch_size": 4, "ppo_epochs": 1}
        return cls(**{**values, **overrides})


class PPORun(BaseModel):
    """A PPO run's sizing around its hyper-parameters: what ``agent-gym train ppo --config NAME`` runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: int = Field(2, ge=1)
    """PPO updates."""
    episodes: int = Field(8, ge=1)
    """Episodes collected per update."""
    max_new_tokens: int = Field(32, ge=1)
    """Generation budget per turn."""
    max_turns: int | None = Field(None, ge=1)
    """Turn limit of each episode (None: the env's own)."""
    ppo: PPOConfig = Field(default_factory=PPOConfig.cpu_smoke)
    """The update's hyper-parameters."""


PRESETS: dict[str, PPORun] = {
    # CI and the key-value learning runs.
    "cpu-smoke": PPORun(),
    # Multi-hop QA from an SFT adapter on this machine (2 CPU cores): 4 episodes of up to 5 turns per update in
    # minibatches of 2, a LoRA learning rate, Agent-R1's KL and clip. With the LM head at policy tokens only, the
    # backbone's activations are the cost (one 2,958-token episode: +6.8 GB for its forward and backward, +3.5 GB
    # with gradient checkpointing, in about the same CPU time), so checkpointing is on.
    "cpu-qa": PPORun(
        steps=8,
        episodes=4,
        max_new_tokens=64,
        max_turns=5,
        ppo=PPOConfig.cpu_smoke(learning_rate=5e-5, minibatch_size=2, gradient_checkpointing=True),
    ),
    # Agent-R1's PPO on a GPU: 128 episodes per update, lr 1e-6.
    "gpu-agent-r1": PPORun(
        steps=200, episodes=128, max_new_tokens=512, max_turns=5, ppo=PPOConfig(minibatch_size=16, use_cpu=False, bf16=True)
    ),
}
"""Named runs: ``agent-gym train ppo --config NAME``."""
