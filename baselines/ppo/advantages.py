"""Generalised advantage estimation over a token sequence, with Agent-R1's advantage mask.

With the mask, GAE runs over the policy's tokens only: an env token is not a decision, so the recursion
skips it (its value is never read, its advantage is 0) and the value after a turn's last token is the value
of the *next turn's* first policy token. Without the mask (the paper's ablation) every completion token is a
step of the recursion.
"""

from __future__ import annotations

import torch

__all__ = ["gae", "masked_mean", "masked_whiten"]


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` where ``mask`` is 1 (0 when the mask is empty).

    Example:
        >>> masked_mean(torch.tensor([1.0, 5.0, 3.0]), torch.tensor([1.0, 0.0, 1.0])).item()
        2.0
    """
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def masked_whiten(values: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Shift and scale ``values`` to mean 0 and std 1 over ``mask``; 0 outside it.

    Example:
        >>> masked_whiten(torch.tensor([1.0, 99.0, 3.0]), torch.tensor([1.0, 0.0, 1.0])).tolist()
        [-1.0, 0.0, 1.0]
    """
    mean = masked_mean(values, mask)
    var = masked_mean((values - mean) ** 2, mask)
    return (values - mean) * torch.rsqrt(var + eps) * mask


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0, lam: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns over the tokens where ``mask`` is 1, bootstrapping 0 after the last one.

    Args:
        rewards: ``[B, T]`` per-token rewards.
        values: ``[B, T]`` value estimates V(s_t) of the state before token t.
        mask: ``[B, T]`` 1 on the tokens that are steps of the recursion (policy tokens with the
            advantage mask, every real completion token without it).
        gamma: Discount per step.
        lam: GAE λ.

    Returns:
        ``(advantages, returns)``, both ``[B, T]`` and 0 where ``mask`` is 0.

    Example:
        >>> r = torch.tensor([[0.0, 0.0, 0.0, 1.0]])
        >>> v = torch.tensor([[0.5, 9.0, 9.0, 0.5]])    # tokens 1 and 2 are env tokens
        >>> adv, ret = gae(r, v, torch.tensor([[1.0, 0.0, 0.0, 1.0]]))
        >>> adv.tolist(), ret.tolist()
        ([[0.5, 0.0, 0.0, 0.5]], [[1.0, 0.0, 0.0, 1.0]])
    """
    batch, steps = rewards.shape
    advantages = torch.zeros_like(rewards)
    next_value = torch.zeros(batch, dtype=rewards.dtype, device=rewards.device)
    running = torch.zeros_like(next_value)
    on = mask > 0
    for t in reversed(range(steps)):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        candidate = delta + gamma * lam * running
        step = on[:, t]
        advantages[:, t] = torch.where(step, candidate, torch.zeros_like(candidate))
        next_value = torch.where(step, values[:, t], next_value)
        running = torch.where(step, candidate, running)
    returns = (advantages + values) * mask
    return advantages, returns
