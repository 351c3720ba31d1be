"""The trained agents that ship with agent-gym: LoRA adapters on the embedded SmolLM2-135M-Instruct.

Each folder holds the adapter (``adapter_config.json``, ``adapter_model.safetensors``, float16) and its card
(``card.json``, ``CARD.md``: the exact command, config, seed, data split, steps, wall time and curve). They are
trained on MultiHopQA-v0's **train** split only (the leaderboard scores dev) by ``make reproduce-training``, and
play through ``--policy NAME`` (``agent-gym rollout``, ``agent-gym leaderboard``) like any checkpoint folder.
"""

from __future__ import annotations

from pathlib import Path

from agent_gym.errors import ConfigError

__all__ = ["TRAINED_AGENTS", "trained_agent_path"]

TRAINED_AGENTS: dict[str, str] = {"sft": "SFT", "sft-grpo": "SFT+GRPO", "sft-ppo": "SFT+PPO"}
"""Name -> display label of each shipped agent, in the order the leaderboard lists them (the one list: the policy
factory, ``--policy NAME`` and the leaderboard's default rows all read it)."""


def trained_agent_path(name: str) -> Path:
    """The adapter folder of a shipped agent.

    Raises:
        ConfigError: an unknown name, or an agent whose files are missing from this install.
    """
    if name not in TRAINED_AGENTS:
        raise ConfigError(f"no shipped agent {name!r}; the shipped agents are {', '.join(TRAINED_AGENTS)}")
    path = Path(__file__).parent / name
    if not (path / "adapter_config.json").is_file():
        raise ConfigError(f"the shipped agent {name!r} is missing from {path}; regenerate it with `make reproduce-training`")
    return path
