"""Reference: the frozen starting policy of the KL term, kept as a snapshot of the weights that train.

What the KL is measured to is the policy as training started (an SFT adapter, when PPO trains on from one),
so ``disable_adapter()`` would be wrong: it gives the base model without the SFT adapter. Everything that does
not train (the base weights under LoRA) is the same in the policy and the reference, so only the trainable
tensors are copied (a few MB of LoRA weights instead of a second model) and swapped in to score.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["Reference"]


class Reference:
    """The trainable weights of ``model`` as they are now, to score with later.

    Args:
        model: The policy (a causal LM, or a peft model whose adapter trains).
    """

    def __init__(self, model: nn.Module):
        self._start = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}

    @contextmanager
    def swapped_in(self, model: nn.Module) -> Iterator[None]:
        """Within the block, ``model`` computes with the snapshot's weights; after it, with its own again.

        The tensors are exchanged, not copied, so the optimizer keeps its parameters and nothing is rounded.
        """
        params = dict(model.named_parameters())
        with torch.no_grad():
            self._exchange(params)
            try:
                yield
            finally:
                self._exchange(params)

    def _exchange(self, params: dict[str, nn.Parameter]) -> None:
        for name, kept in self._start.items():
            params[name].data, self._start[name] = kept, params[name].data
