"""TokenBatch: a list of TokenTrajectory padded into the tensors a trainer computes on.

Prompts are left-padded and completions right-padded, so every completion starts at the same column
``prompt_width``: the logits that predict completion token ``t`` sit at column ``prompt_width - 1 + t``.
Position ids count real tokens only, so padding never shifts a sequence's positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from agent_gym.errors import ConfigError
from agent_gym.rollout.trajectory import TokenTrajectory

__all__ = ["TokenBatch", "collate"]


@dataclass(frozen=True)
class TokenBatch:
    """Padded tensors of a batch of trajectories; completion tensors are ``[B, C]``."""

    input_ids: torch.Tensor
    """``[B, P + C]`` prompt and completion ids (padding filled with ``pad_id``)."""
    attention_mask: torch.Tensor
    """``[B, P + C]`` 1 on real tokens."""
    position_ids: torch.Tensor
    """``[B, P + C]`` 0-based position of each real token."""
    prompt_width: int
    """``P``: the padded prompt length; completion token ``t`` is column ``P + t``."""
    policy_mask: torch.Tensor
    """``[B, C]`` float, 1 on policy tokens (the trajectory's loss mask)."""
    valid_mask: torch.Tensor
    """``[B, C]`` float, 1 on every real completion token (policy and env)."""
    rewards: torch.Tensor
    """``[B, C]`` per-token rewards (each turn's reward on its last policy token)."""
    sample_logprobs: torch.Tensor
    """``[B, C]`` the sampling policy's logprobs (0 on env tokens and padding)."""

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def select(self, rows: torch.Tensor) -> TokenBatch:
        """The sub-batch of the given row indices (same padding)."""
        return TokenBatch(
            input_ids=self.input_ids[rows],
            attention_mask=self.attention_mask[rows],
            position_ids=self.position_ids[rows],
            prompt_width=self.prompt_width,
            policy_mask=self.policy_mask[rows],
            valid_mask=self.valid_mask[rows],
            rewards=self.rewards[rows],
            sample_logprobs=self.sample_logprobs[rows],
        )

    def episode_returns(self) -> torch.Tensor:
        """``[B]`` each trajectory's undiscounted return (the sum of its token rewards)."""
        return self.rewards.sum(dim=1)


def collate(trajectories: Sequence[TokenTrajectory], pad_id: int = 0) -> TokenBatch:
    """Pad trajectories into a :class:`TokenBatch`.

    Raises:
        ConfigError: the batch is empty or a trajectory has no completion token.
    """
    if not trajectories:
        raise ConfigError("cannot collate an empty list of trajectories; collect at least one episode")
    if any(len(t.completion_ids) == 0 for t in trajectories):
        raise ConfigError("every trajectory needs at least one completion token; drop empty episodes before training")
    width_p = max(len(t.prompt_ids) for t in trajectories)
    width_c = max(len(t.completion_ids) for t in trajectories)
    b = len(trajectories)
    ids = torch.full((b, width_p + width_c), pad_id, dtype=torch.long)
    attention = torch.zeros((b, width_p + width_c), dtype=torch.long)
    comp = {name: torch.zeros((b, width_c)) for name in ("policy", "valid", "rewards", "logprobs")}
    for row, t in enumerate(trajectories):
        p, c = len(t.prompt_ids), len(t.completion_ids)
        ids[row, width_p - p : width_p] = torch.tensor(t.prompt_ids)
        ids[row, width_p : width_p + c] = torch.tensor(t.completion_ids)
        attention[row, width_p - p : width_p + c] = 1
        comp["policy"][row, :c] = torch.tensor(t.loss_mask, dtype=torch.float)
        comp["valid"][row, :c] = 1.0
        comp["rewards"][row, :c] = torch.tensor(t.token_rewards, dtype=torch.float)
        comp["logprobs"][row, :c] = torch.tensor(t.logprobs, dtype=torch.float)
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    return TokenBatch(
        input_ids=ids,
        attention_mask=attention,
        position_ids=positions,
        prompt_width=width_p,
        policy_mask=comp["policy"],
        valid_mask=comp["valid"],
        rewards=comp["rewards"],
        sample_logprobs=comp["logprobs"],
    )
