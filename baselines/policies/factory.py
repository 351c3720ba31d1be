"""Policies by name: what ``agent-gym rollout --policy NAME`` builds."""

from __future__ import annotations

from typing import Any

from agent_gym.baselines.trained import TRAINED_AGENTS
from agent_gym.errors import ConfigError, did_you_mean
from agent_gym.rollout.policy import Policy

__all__ = ["POLICY_NAMES", "make_policy"]

POLICY_NAMES: dict[str, str] = {
    "embedded": "SmolLM2-135M-Instruct in-process (transformers); options: max_new_tokens, temperature, batch_size",
    "transformers": "a local causal LM; options: model (folder or .gguf), max_new_tokens, temperature, batch_size",
    "openai": "an OpenAI-compatible server; options: base_url, model, native_tools, temperature, max_tokens",
    "oracle": "plays the gold facts of the reset info (upper bound)",
    "human": "you type each turn",
    **{
        name: f"the shipped {label} agent (a LoRA adapter on SmolLM2-135M); options as embedded"
        for name, label in TRAINED_AGENTS.items()
    },
}


def make_policy(name: str, **options: Any) -> Policy:
    """Build a policy from its name and options (see :data:`POLICY_NAMES`).

    Example:
        >>> type(make_policy("oracle")).__name__
        'OraclePolicy'
    """
    if name == "oracle":
        from agent_gym.baselines.policies.oracle import OraclePolicy

        return OraclePolicy(**options)
    if name == "human":
        from agent_gym.baselines.policies.human import HumanPolicy

        return HumanPolicy(**options)
    if name == "openai":
        from agent_gym.baselines.policies.openai_http import OpenAIPolicy

        return OpenAIPolicy(**options)
    if name == "transformers":
        from agent_gym.baselines.policies.transformers_lm import TransformersPolicy

        if "model" not in options:
            raise ConfigError("the transformers policy needs model=PATH (a checkpoint folder or a .gguf file)")
        return TransformersPolicy(options.pop("model"), **options)
    if name == "embedded" or name in TRAINED_AGENTS:
        from agent_gym.utils.extras import require_extra

        require_extra("train", f"the {name} policy")
    if name in TRAINED_AGENTS:
        from agent_gym.baselines.policies.transformers_lm import TransformersPolicy
        from agent_gym.baselines.trained import trained_agent_path

        return TransformersPolicy(trained_agent_path(name), **options)
    if name == "embedded":
        from agent_gym.baselines.policies.transformers_lm import EmbeddedPolicy

        return EmbeddedPolicy(**options)
    hint = did_you_mean(name, POLICY_NAMES)
    raise ConfigError(f"unknown policy {name!r}; expected one of {sorted(POLICY_NAMES)}.{hint}")
