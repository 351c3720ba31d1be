"""LoRA adapters: the small files a trained agent ships as, loadable wherever a checkpoint folder is.

An adapter folder holds ``adapter_config.json`` and ``adapter_model.safetensors`` (``peft``'s layout, weights
stored in float16 to halve what ships). Its ``base_model_name_or_path`` is :data:`EMBEDDED_BASE` when it was
trained on the embedded model, so the folder names no path of the machine it was trained on; otherwise a
local checkpoint folder. This module only reads and writes the files; loading an adapter onto its base is
:func:`agent_gym.baselines.policies.loading.load_adapter_model`, and
:func:`~agent_gym.baselines.policies.loading.load_causal_lm` recognises such a folder, so ``--policy runs/sft``,
``TransformersPolicy("runs/sft")`` and the leaderboard load it unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent_gym.errors import ConfigError, MissingDependency

__all__ = [
    "ADAPTER_CONFIG",
    "EMBEDDED_BASE",
    "adapter_base",
    "is_adapter",
    "is_peft_model",
    "lora_config",
    "peft_module",
    "save_adapter",
]

ADAPTER_CONFIG = "adapter_config.json"
"""The file that marks a folder as an adapter."""
EMBEDDED_BASE = "agent-gym:embedded"
"""``base_model_name_or_path`` of adapters trained on the embedded SmolLM2-135M-Instruct."""


def peft_module() -> Any:
    """The ``peft`` module, or a clear error naming the extra that installs it."""
    try:
        import peft
    except ImportError:
        raise MissingDependency(
            "LoRA adapters need the 'train' extra (peft); install it with: pip install 'agent-gym[train]'"
        ) from None
    return peft


def is_adapter(path: str | Path) -> bool:
    """Whether ``path`` is an adapter folder."""
    return (Path(path) / ADAPTER_CONFIG).is_file()


def lora_config(rank: int = 4, alpha: int | None = None) -> Any:
    """The LoRA of agent-gym's recipes: every linear layer, rank ``rank``, scale ``alpha / rank`` (alpha 2·rank)."""
    if rank < 1:
        raise ConfigError(f"the LoRA rank must be >= 1, got {rank}")
    return peft_module().LoraConfig(
        r=rank, lora_alpha=alpha or 2 * rank, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM"
    )


def is_peft_model(model: Any) -> bool:
    """Whether ``model`` carries peft adapters (and saves as an adapter)."""
    return hasattr(model, "peft_config")


def save_adapter(model: Any, directory: str | Path, *, base: str | None = None) -> Path:
    """Write ``model``'s (a ``peft`` model's) adapter into ``directory``, weights in float16.

    Args:
        model: A ``peft.PeftModel`` (or a model carrying peft adapters).
        directory: Where to write; created if needed.
        base: What the adapter goes on: :data:`EMBEDDED_BASE` or a local checkpoint folder; None keeps the
            adapter's own (e.g. an SFT adapter trained on by GRPO goes on what the SFT adapter went on).
    """
    import torch
    from safetensors.torch import save_file

    peft = peft_module()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = peft.get_peft_model_state_dict(model)
    save_file(
        {k: v.detach().to(torch.float16).contiguous() for k, v in state.items()}, str(directory / "adapter_model.safetensors")
    )
    config = model.peft_config["default"]
    payload = {k: sorted(v) if isinstance(v, set) else v for k, v in config.to_dict().items()}  # JSON has no sets
    payload["base_model_name_or_path"] = base or config.base_model_name_or_path
    payload["inference_mode"] = True
    (directory / ADAPTER_CONFIG).write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    return directory


def adapter_base(directory: str | Path) -> str:
    """The ``base_model_name_or_path`` of an adapter folder."""
    try:
        return str(json.loads((Path(directory) / ADAPTER_CONFIG).read_text())["base_model_name_or_path"])
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{Path(directory) / ADAPTER_CONFIG} is damaged ({exc}); restore the adapter folder") from None
