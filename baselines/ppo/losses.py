"""PPO's loss terms, each a pure function of per-token tensors and a mask."""

from __future__ import annotations

import torch

from agent_gym.baselines.ppo.advantages import masked_mean

__all__ = ["kl_penalty", "policy_loss", "value_loss"]


def policy_loss(
    logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor, clip_range: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The clipped surrogate loss, averaged over ``mask``; also returns the clipped fraction.

    Example:
        >>> lp = torch.tensor([[0.0, -1.0]])
        >>> loss, _ = policy_loss(lp, lp, torch.tensor([[2.0, 5.0]]), torch.tensor([[1.0, 0.0]]), 0.2)
        >>> loss.item()     # ratio 1 on the one masked-in token: -advantage
        -2.0
    """
    ratio = torch.exp(logprobs - old_logprobs)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_range, 1.0 + clip_range) * advantages
    loss = masked_mean(-torch.minimum(unclipped, clipped), mask)
    clip_fraction = masked_mean((unclipped != clipped).float(), mask)
    return loss, clip_fraction


def value_loss(
    values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor, clip_range: float
) -> torch.Tensor:
    """The clipped value loss ``0.5 * max((V - R)², (clip(V, V_old ± ε) - R)²)``, averaged over ``mask``.

    Example:
        >>> value_loss(torch.tensor([1.0]), torch.tensor([1.0]), torch.tensor([3.0]), torch.tensor([1.0]), 0.2).item()
        2.0
    """
    clipped = old_values + torch.clamp(values - old_values, -clip_range, clip_range)
    worst = torch.maximum((values - returns) ** 2, (clipped - returns) ** 2)
    return 0.5 * masked_mean(worst, mask)


def kl_penalty(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The k3 estimate of KL(policy ‖ reference), ``exp(d) - d - 1`` with ``d = ref - policy``, over ``mask``.

    Example:
        >>> lp = torch.tensor([[-1.0, -2.0]])
        >>> kl_penalty(lp, lp, torch.ones(1, 2)).item()
        0.0
    """
    diff = ref_logprobs - logprobs
    return masked_mean(torch.exp(diff) - diff - 1.0, mask)
