"""The divergence check every trainer runs: are the losses, rewards and gradients still finite?

SFT, GRPO (through TRL's callbacks and reward function) and PPO call :func:`check_finite` so that a NaN or an
infinity stops training the same way everywhere, with one message shape and the checkpoint to resume from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from agent_gym.errors import DivergenceError

__all__ = ["check_finite"]


def check_finite(
    what: str, values: Iterable[float], *, step: int, checkpoint: str | None = None, before: str = "updating the model"
) -> None:
    """Raise DivergenceError when any value is NaN or infinite.

    Args:
        what: What one value is (``"loss"``, ``"a reward"``), for the message: "<what> is nan".
        values: The numbers to check.
        step: The training step, for the message.
        checkpoint: The last good checkpoint, which the message names; ``""`` when none had been saved yet;
            None when the caller does not know (a trainer that does adds it).
        before: What the stop came before (``"updating the model"``, ``"checkpointing"``).

    Raises:
        DivergenceError: the first non-finite value, with the step and what to do.

    Example:
        >>> check_finite("loss", [0.5, 1.0], step=3)
        >>> check_finite("loss", [float("nan")], step=3, checkpoint="")
        Traceback (most recent call last):
        ...
        agent_gym.errors.DivergenceError: training diverged at step 3: loss is nan; stopped before updating the model, \
and no checkpoint had been saved yet. Lower the learning rate or check the env's rewards, then resume
    """
    bad = next((value for value in values if not math.isfinite(value)), None)
    if bad is None:
        return
    if checkpoint is None:
        kept = ""
    else:
        kept = f", and the last good checkpoint is {checkpoint}" if checkpoint else ", and no checkpoint had been saved yet"
    raise DivergenceError(
        f"training diverged at step {step}: {what} is {bad}; stopped before {before}{kept}. "
        "Lower the learning rate or check the env's rewards, then resume"
    )
