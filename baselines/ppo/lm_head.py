"""The LM head at the trained positions only: token log-probabilities without the env tokens' logits.

A multi-turn trajectory is mostly the env's tokens (tool results, passages: about 95% of a multi-hop QA
episode), and the loss mask leaves them out. Their hidden states are needed, since later tokens attend to
them; their logits are not. So the backbone runs over the whole sequence, the hidden states of the positions
in the mask are gathered, and only those rows go through the LM head, in vocabulary tiles that the backward
pass recomputes (TRL's ``ChunkedLogProbFunction``), so no ``[tokens, vocab]`` tensor is ever kept. Both our
PPO and the GRPO path through TRL score tokens here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["VOCAB_TILE", "backbone_and_head", "masked_logprobs"]

VOCAB_TILE = 8192
"""Vocabulary columns per tile: a tile of logits is ``rows × VOCAB_TILE`` floats, whatever the vocabulary."""


def backbone_and_head(model: Any) -> tuple[nn.Module, nn.Module]:
    """``(backbone, lm_head)`` of a transformers causal LM, or of a LoRA ``peft`` model wrapping one.

    The backbone returns ``last_hidden_state`` (after the final norm, what the head reads). LoRA injects its
    layers into the wrapped model's modules, so calling them directly applies the adapter (and honours
    ``disable_adapter()``); peft's prompt-learning methods, which change the inputs, are not supported.
    """
    inner = model.get_base_model() if hasattr(model, "peft_config") else model
    return inner.base_model, inner.get_output_embeddings()


def masked_logprobs(
    hidden: torch.Tensor,
    head: nn.Module,
    targets: torch.Tensor,
    mask: torch.Tensor,
    *,
    temperature: float = 1.0,
    entropy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Log-probability (and entropy) of each target token, computed only where ``mask`` is nonzero.

    Args:
        hidden: ``[B, T, H]`` hidden states; ``hidden[:, t]`` predicts ``targets[:, t]``.
        head: The LM head (a linear layer: its ``weight`` is ``[V, H]``).
        targets: ``[B, T]`` token ids.
        mask: ``[B, T]`` nonzero where a log-probability is needed.
        temperature: The logits are divided by it (TRL's GRPO scores at the sampling temperature).
        entropy: Also return the entropy of each predicted distribution.

    Returns:
        ``(logprobs, entropy)``, float32 ``[B, T]``, 0 outside the mask (entropy None unless asked).
    """
    from trl.kernels import ChunkedLogProbFunction

    keep = mask.bool()
    outputs = ("log_probs", "entropy") if entropy else ("log_probs",)
    scored = ChunkedLogProbFunction.apply(
        hidden[keep], head.weight, head.bias, targets[keep], temperature, VOCAB_TILE, None, 1.0, outputs
    )
    # masked_scatter keeps the result connected to the graph even when the mask is empty (a zero gradient).
    logprobs, entropies = (None if x is None else x.new_zeros(keep.shape).masked_scatter(keep, x) for x in scored[:2])
    return logprobs, entropies
