"""Can this machine run the config? (Whether the numbers are still finite: :mod:`agent_gym.utils.divergence`.)"""

from __future__ import annotations

from agent_gym.errors import ConfigError

__all__ = ["check_machine"]


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
