"""Loading a local causal LM: a checkpoint folder, a ``.gguf`` file, a LoRA adapter folder or the embedded model.

The one home of model loading (the policies, ``agent-gym train`` and the trainers all load through it), below
every policy module: it imports :mod:`~agent_gym.baselines.policies.adapters` (the adapter files) and
:mod:`~agent_gym.baselines.policies.embedded` (the embedded checkpoint), neither of which imports it back, so the
loaders form no cycle. Nothing here downloads: ``HF_HUB_OFFLINE`` is set and every load is ``local_files_only``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agent_gym.baselines.policies.adapters import EMBEDDED_BASE, adapter_base, is_adapter, peft_module
from agent_gym.baselines.policies.embedded import embedded_checkpoint
from agent_gym.errors import ConfigError

__all__ = ["load_adapter_model", "load_causal_lm"]


def load_causal_lm(model: str | Path, *, gguf_file: str | None = None, dtype: str = "float32") -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` from local files only (``HF_HUB_OFFLINE`` is set: no hub access).

    Args:
        model: A checkpoint folder, a LoRA adapter folder (merged into its base), or a ``.gguf`` file.
        gguf_file: The GGUF file's name inside the ``model`` folder, when ``model`` is a folder.
        dtype: Torch dtype name of the weights.

    Raises:
        ConfigError: nothing at ``model``, or a tokenizer without a chat template.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(model).expanduser()
    if is_adapter(path):  # a LoRA adapter folder: its base, with the adapter merged in
        return load_adapter_model(path, dtype=dtype)
    if path.suffix == ".gguf" and gguf_file is None:
        path, gguf_file = path.parent, path.name
    if not path.exists():
        raise ConfigError(f"no model at {path}; give a local checkpoint folder or a .gguf file (no hub downloads)")
    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf_file is not None:
        kwargs["gguf_file"] = gguf_file
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    lm = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype), **kwargs).eval()
    if tokenizer.chat_template is None:
        raise ConfigError(f"the tokenizer of {path} has no chat template; agent-gym policies need a chat model")
    return lm, tokenizer


def load_adapter_model(directory: str | Path, *, trainable: bool = False, dtype: str = "float32") -> tuple[Any, Any]:
    """``(model, tokenizer)``: the adapter's base with the adapter on it.

    Args:
        directory: An adapter folder.
        trainable: Keep a ``peft`` model whose adapter trains on (GRPO/PPO from an SFT adapter); otherwise the
            adapter is merged into the weights, so inference runs as fast as the base model.
        dtype: Torch dtype name of the weights.

    Raises:
        ConfigError: a damaged adapter folder, or a base that is not a local folder.
    """
    base = adapter_base(directory)
    if base == EMBEDDED_BASE:
        base_path = embedded_checkpoint()
    else:
        base_path = Path(base).expanduser()
        if not base_path.exists():
            raise ConfigError(f"the adapter {directory} goes on {base}, which is not a local folder; put the base model there")
    model, tokenizer = load_causal_lm(base_path, dtype=dtype)
    peft_model = peft_module().PeftModel.from_pretrained(model, str(directory), is_trainable=trainable)
    if trainable:
        return peft_model, tokenizer
    return peft_model.merge_and_unload().eval(), tokenizer
