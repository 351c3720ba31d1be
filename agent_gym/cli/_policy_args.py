"""``--policy SPEC``: the one argument every command that runs or trains a policy takes (same grammar, same errors).

The grammar and its checks live in :mod:`agent_gym.baselines.policies.spec` (imported when an argument is parsed,
not when the CLI starts).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["POLICY_METAVAR", "policy_help", "policy_spec"]

POLICY_METAVAR = "SPEC"


def policy_help(what: str) -> str:
    """The ``--policy`` help text: ``what`` the policy is for, then the grammar."""
    return (
        f"{what}: a policy name (`agent-gym rollout --help` lists them; shipped agents: sft, sft-grpo, sft-ppo), a "
        "checkpoint folder, a .gguf file, OpenAI-compatible servers URL[,URL...][#MODEL], or module:attribute"
    )


def policy_spec(text: str) -> Any:
    """argparse ``type=``: the :class:`~agent_gym.baselines.policies.spec.PolicySpec` of ``text``, or a usage error."""
    from agent_gym.baselines.policies.spec import PolicySpec
    from agent_gym.errors import ConfigError

    try:
        return PolicySpec.parse(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
