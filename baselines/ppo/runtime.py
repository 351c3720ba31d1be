"""Checks shared by both trainers: can this machine run the config, and are the numbers still finite?"""

from __future__ import annotations

import math
from collections.abc import Iterable

from agent_gym.errors import ConfigError, DivergenceError

__all__ = ["check_finite", "check_machine"]


def check_machine(use_cpu: bool, bf16: bool) -> str:
    """The torch device to train on, or a ConfigError saying how to fix a config this machine cannot run.

    Raises:
        ConfigError: bf16 on CPU, or a GPU config on a machine without CUDA.
    """
    import torch

    if use_cpu and bf16:
        raise ConfigError("bf16=True is not supported on CPU; use bf16=False (the CPU configs do) or run on a GPU")
    if not use_cpu and not torch.cuda.is_available():
        raise ConfigError(
            "this config needs a CUDA GPU but none is available; use the CPU config "
            "(`--config cpu-smoke`, or use_cpu=True, bf16=False) or run on a GPU machine"
        )
    return "cpu" if use_cpu else "cuda"


def check_finite(what: str, values: Iterable[float], step: int, checkpoint: str | None) -> None:
    """Raise DivergenceError when any value is NaN or infinite.

    Args:
        what: What the values are (``"loss"``, ``"rewards"``), for the message.
        values: The numbers to check.
        step: The training step, for the message.
        checkpoint: The last good checkpoint, which the message names (None before the first save).

    Example:
        >>> check_finite("loss", [0.5, 1.0], step=3, checkpoint=None)
    """
    bad = [v for v in values if not math.isfinite(v)]
    if bad:
        kept = f"the last good checkpoint is {checkpoint}" if checkpoint else "no checkpoint had been saved yet"
        raise DivergenceError(
            f"training diverged at step {step}: {what} contains {bad[0]}; stopped before updating the model, and {kept}. "
            "Lower the learning rate, check the env's rewards, or resume from the checkpoint"
        )
