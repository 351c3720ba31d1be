"""PolicyWithValue: a causal LM with a scalar value head on its last hidden state.

The head reads the hidden state at the column whose logits predict completion token ``t``, so
``values[:, t]`` is V(state before token t), aligned with ``logprobs[:, t]``. Log-probabilities are computed
only at the tokens a loss reads (:mod:`~agent_gym.baselines.ppo.lm_head`); the value head, one number per
token, runs on every completion token.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from agent_gym.baselines.ppo.batch import TokenBatch
from agent_gym.baselines.ppo.lm_head import backbone_and_head, masked_logprobs

__all__ = ["VALUE_HEAD_FILE", "PolicyWithValue", "token_logprobs"]

VALUE_HEAD_FILE = "value_head.pt"
"""File name of the value head's weights inside a checkpoint (next to the policy's own files)."""


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Log-probability of each token under ``logits`` (``[B, T, V]`` and ``[B, T]`` → ``[B, T]``).

    The full-vocabulary formula, for logits already in hand; the trainer scores through
    :func:`~agent_gym.baselines.ppo.lm_head.masked_logprobs`, which never builds them.

    Example:
        >>> token_logprobs(torch.zeros(1, 1, 4), torch.tensor([[2]])).exp().item()
        0.25
    """
    logits = logits.float()
    return torch.gather(logits, -1, tokens.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, dim=-1)


class PolicyWithValue(nn.Module):
    """A causal LM (``policy``) plus a linear value head, trained together by PPO.

    Args:
        policy: A transformers causal LM; it is trained in place and saved with ``save_pretrained``.
        seed: Seeds the value head's initialisation.
    """

    def __init__(self, policy: nn.Module, seed: int = 0):
        super().__init__()
        self.policy = policy
        hidden = policy.config.hidden_size
        generator = torch.Generator().manual_seed(seed)
        self.value_head = nn.Linear(hidden, 1)
        with torch.no_grad():
            self.value_head.weight.copy_(torch.randn(1, hidden, generator=generator) / hidden)
            self.value_head.bias.zero_()

    def forward(
        self, batch: TokenBatch, with_values: bool = True, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logprobs, values)`` of the batch's completion tokens, both ``[B, C]`` (values None if not asked).

        Args:
            batch: The padded batch.
            with_values: Also compute the values.
            mask: ``[B, C]``, the completion tokens whose logprobs are needed (default: every real one);
                elsewhere the logprobs read 0, and the LM head never sees those positions.
        """
        backbone, head = backbone_and_head(self.policy)
        out = backbone(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            position_ids=batch.position_ids,
            use_cache=False,
        )
        start = batch.prompt_width - 1
        width = batch.input_ids.shape[1] - batch.prompt_width
        hidden = out.last_hidden_state[:, start : start + width]
        targets = batch.input_ids[:, batch.prompt_width :]
        logprobs, _ = masked_logprobs(hidden, head, targets, batch.valid_mask if mask is None else mask)
        if not with_values:
            return logprobs, None
        values = self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1)
        return logprobs, values

    def save(self, directory: str | Path) -> None:
        """Write the policy (loadable by ``from_pretrained``) and the value head into ``directory``."""
        directory = Path(directory)
        self.policy.save_pretrained(directory)
        torch.save(self.value_head.state_dict(), directory / VALUE_HEAD_FILE)

    def load_value_head(self, directory: str | Path) -> None:
        """Restore the value head saved by :meth:`save` (the policy is loaded with ``from_pretrained``)."""
        self.value_head.load_state_dict(torch.load(Path(directory) / VALUE_HEAD_FILE, weights_only=True))
