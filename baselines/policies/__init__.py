"""Policies: the embedded default model, any local causal LM, OpenAI-compatible servers, oracle, scripted, human.

Every policy implements :class:`agent_gym.rollout.Policy`. The model-backed ones import torch, transformers or
httpx only when built. :func:`make_policy` builds one from a name (what ``agent-gym rollout --policy`` takes).
"""

from agent_gym.baselines.policies.factory import POLICY_NAMES, make_policy
from agent_gym.baselines.policies.human import HumanPolicy
from agent_gym.baselines.policies.openai_http import OpenAIPolicy
from agent_gym.baselines.policies.oracle import OraclePolicy
from agent_gym.testing.policies import ScriptedPolicy, assistant_turns

__all__ = [
    "POLICY_NAMES",
    "EmbeddedPolicy",
    "HumanPolicy",
    "OpenAIPolicy",
    "OraclePolicy",
    "ScriptedPolicy",
    "TransformersPolicy",
    "assistant_turns",
    "embedded_checkpoint",
    "make_policy",
]


def __getattr__(name: str):  # the torch-backed policies load on first use
    if name in ("EmbeddedPolicy", "TransformersPolicy"):
        from agent_gym.baselines.policies import transformers_lm

        return getattr(transformers_lm, name)
    if name == "embedded_checkpoint":
        from agent_gym.baselines.policies import embedded

        return getattr(embedded, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
