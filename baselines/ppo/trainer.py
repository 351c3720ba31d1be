"""PPOTrainer: one PPO update from a batch of TokenTrajectory.

An update is: collate → score the batch once without gradients (old logprobs and values, reference
logprobs) → GAE over the advantage mask → a few epochs of minibatch steps on the clipped policy loss,
the clipped value loss and the KL to the reference, each averaged over the loss mask. Log-probabilities are
computed at the loss mask's tokens only (the LM head never sees the env's tokens unless the ablation trains
on them); elsewhere they read 0, which no loss term reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from agent_gym.baselines.ppo.advantages import gae, masked_whiten
from agent_gym.baselines.ppo.batch import TokenBatch, collate
from agent_gym.baselines.ppo.config import PPOConfig
from agent_gym.baselines.ppo.losses import kl_penalty, policy_loss, value_loss
from agent_gym.baselines.ppo.reference import Reference
from agent_gym.baselines.ppo.runtime import check_machine
from agent_gym.baselines.ppo.value_head import PolicyWithValue
from agent_gym.rollout.trajectory import TokenTrajectory
from agent_gym.utils.divergence import check_finite

__all__ = ["BatchScores", "PPOTrainer", "advantage_targets", "loss_mask", "ppo_losses"]


@dataclass(frozen=True)
class BatchScores:
    """What the update needs from the batch as it was collected, computed once without gradients.

    (Named apart from :class:`agent_gym.rollout.RolloutStats`, the timings of a rollout: one name per thing.)
    """

    old_logprobs: torch.Tensor
    """``[B, C]`` logprobs of the policy before this update."""
    old_values: torch.Tensor
    """``[B, C]`` values before this update."""
    ref_logprobs: torch.Tensor | None
    """``[B, C]`` logprobs of the frozen reference (None when ``kl_coef`` is 0)."""
    advantages: torch.Tensor
    """``[B, C]`` GAE advantages (whitened if configured), 0 outside the advantage mask."""
    returns: torch.Tensor
    """``[B, C]`` value targets, 0 outside the advantage mask."""


def advantage_targets(
    batch: TokenBatch, values: torch.Tensor, config: PPOConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(advantages, returns, mask)``: GAE over policy tokens (advantage mask on) or all completion tokens."""
    mask = batch.policy_mask if config.advantage_mask else batch.valid_mask
    advantages, returns = gae(batch.rewards, values, mask, config.gamma, config.lam)
    if config.whiten_advantages:
        advantages = masked_whiten(advantages, mask)
    return advantages, returns, mask


def loss_mask(batch: TokenBatch, config: PPOConfig) -> torch.Tensor:
    """``[B, C]`` the tokens the policy and KL losses average over: policy tokens, or all of them in the ablation."""
    return batch.policy_mask if config.loss_mask else batch.valid_mask


def ppo_losses(
    batch: TokenBatch, logprobs: torch.Tensor, values: torch.Tensor, stats: BatchScores, config: PPOConfig
) -> dict[str, torch.Tensor]:
    """The loss terms of one minibatch; ``"loss"`` is the total that is back-propagated."""
    mask = loss_mask(batch, config)
    value_mask = batch.policy_mask if config.advantage_mask else batch.valid_mask
    pg, clip_fraction = policy_loss(logprobs, stats.old_logprobs, stats.advantages, mask, config.clip_range)
    vf = value_loss(values, stats.old_values, stats.returns, value_mask, config.value_clip_range)
    terms = {"policy_loss": pg, "value_loss": vf, "clip_fraction": clip_fraction}
    total = pg + config.value_coef * vf
    if stats.ref_logprobs is not None:
        terms["kl"] = kl_penalty(logprobs, stats.ref_logprobs, mask)
        total = total + config.kl_coef * terms["kl"]
    terms["loss"] = total
    return terms


class PPOTrainer:
    """Our PPO (TRL ships none since 1.13), on exactly the tensors of :class:`TokenTrajectory`.

    Args:
        policy: A transformers causal LM, trained in place.
        config: The hyper-parameters.
        pad_id: Token id used for padding (any id: padded columns are masked).
    """

    def __init__(self, policy: torch.nn.Module, config: PPOConfig | None = None, pad_id: int = 0):
        self.config = config or PPOConfig()
        self.device = check_machine(self.config.use_cpu, self.config.bf16)
        self.pad_id = pad_id
        self.model = PolicyWithValue(policy, seed=self.config.seed).to(self.device)
        if self.config.gradient_checkpointing:
            inner = policy.get_base_model() if hasattr(policy, "peft_config") else policy
            inner.activation_checkpointing_enable()  # use_reentrant=False: works with a frozen base under LoRA
        # The KL's reference: the policy's trainable weights as they start (no second model; see Reference).
        self.reference = Reference(self.model.policy) if self.config.kl_coef > 0 else None
        lr = self.config.learning_rate
        self.optimizer = torch.optim.AdamW(
            [
                {"params": list(self.model.policy.parameters()), "lr": lr},
                {"params": list(self.model.value_head.parameters()), "lr": lr * self.config.value_lr_scale},
            ],
            weight_decay=0.0,
        )
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.step_count = 0
        self.last_checkpoint: str | None = None

    @property
    def policy(self) -> torch.nn.Module:
        """The causal LM being trained (what rollouts should sample from)."""
        return self.model.policy

    def _autocast(self) -> torch.autocast:
        return torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.config.bf16)

    @torch.no_grad()
    def score(self, batch: TokenBatch) -> BatchScores:
        """Old logprobs, values, reference logprobs and advantages of a batch, without gradients."""
        self.model.eval()
        mask = loss_mask(batch, self.config)
        with self._autocast():
            old_logprobs, old_values = self.model(batch, mask=mask)
            ref_logprobs = None
            if self.reference is not None:
                with self.reference.swapped_in(self.model.policy):
                    ref_logprobs = self.model(batch, with_values=False, mask=mask)[0]
        advantages, returns, _ = advantage_targets(batch, old_values.float(), self.config)
        return BatchScores(old_logprobs, old_values.float(), ref_logprobs, advantages, returns)

    def step(self, trajectories: Sequence[TokenTrajectory]) -> dict[str, float]:
        """One PPO update; returns the batch's mean episode return and the mean loss terms.

        Raises:
            DivergenceError: the rewards or a loss are NaN/inf (the model is left as it was before the bad step).
        """
        self.step_count += 1
        batch = collate(trajectories, self.pad_id)
        check_finite("a reward", batch.rewards.flatten().tolist(), step=self.step_count, checkpoint=self.last_checkpoint or "")
        batch = _to(batch, self.device)
        stats = self.score(batch)
        self.model.train()
        sums: dict[str, float] = {}
        updates = 0
        for _ in range(self.config.ppo_epochs):
            order = torch.randperm(len(batch), generator=self.generator)
            for start in range(0, len(batch), self.config.minibatch_size):
                rows = order[start : start + self.config.minibatch_size]
                terms = self._minibatch_step(batch.select(rows), _select(stats, rows))
                for name, value in terms.items():
                    sums[name] = sums.get(name, 0.0) + value
                updates += 1
        metrics = {name: value / updates for name, value in sums.items()}
        metrics["reward_mean"] = float(batch.episode_returns().mean())
        metrics["policy_tokens"] = float(batch.policy_mask.sum())
        return metrics

    def _minibatch_step(self, batch: TokenBatch, stats: BatchScores) -> dict[str, float]:
        with self._autocast():
            logprobs, values = self.model(batch, mask=loss_mask(batch, self.config))
        terms = ppo_losses(batch, logprobs.float(), values.float(), stats, self.config)
        check_finite("loss", [float(terms["loss"].detach())], step=self.step_count, checkpoint=self.last_checkpoint or "")
        self.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.max_grad_norm)
        check_finite("the gradient norm", [float(grad_norm)], step=self.step_count, checkpoint=self.last_checkpoint or "")
        self.optimizer.step()
        out = {name: float(value.detach()) for name, value in terms.items()}
        out["grad_norm"] = float(grad_norm)
        return out


def _to(batch: TokenBatch, device: str) -> TokenBatch:
    if device == "cpu":
        return batch
    fields = {name: getattr(batch, name) for name in batch.__dataclass_fields__}
    return TokenBatch(**{k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in fields.items()})


def _select(stats: BatchScores, rows: torch.Tensor) -> BatchScores:
    return BatchScores(
        old_logprobs=stats.old_logprobs[rows],
        old_values=stats.old_values[rows],
        ref_logprobs=None if stats.ref_logprobs is None else stats.ref_logprobs[rows],
        advantages=stats.advantages[rows],
        returns=stats.returns[rows],
    )
