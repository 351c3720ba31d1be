"""The leaderboard's view of a policy spec: labels, cheap checks and builders, all from the one grammar.

The grammar (names, checkpoint folders, ``.gguf`` files, endpoints ``URL[,URL...][#model]``, ``module:attribute``)
is :class:`agent_gym.baselines.policies.spec.PolicySpec`, which ``agent-gym rollout`` and ``agent-gym train`` parse
too. Generation options (``max_new_tokens``, ``batch_size``, ``temperature``) go to the model-backed policies
(``max_new_tokens`` becomes ``max_tokens`` for endpoints); the others take none. They are checked against the
backend's own constructor (names, types, ranges) without loading anything, so a typo fails before minutes of
model loading rather than after; every endpoint must answer before the run starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agent_gym.baselines.policies.spec import PolicySpec, check_endpoint
from agent_gym.errors import ConfigError
from agent_gym.rollout.policy import Policy

__all__ = ["check_endpoint", "check_policy_options", "load_policy", "policy_builder", "policy_label"]


def policy_label(spec: str) -> str:
    """A short display name of a spec: the folder name of a checkpoint, the host and model of an endpoint.

    A spec that does not parse (a folder not made yet) is labelled by its last path part.

    Example:
        >>> policy_label("runs/grpo/checkpoint-40"), policy_label("http://127.0.0.1:8000/v1#qwen")
        ('checkpoint-40', 'qwen@127.0.0.1:8000')
        >>> policy_label("http://a:8000/v1,http://b:8000/v1#qwen")
        'qwen@a:8000+b:8000'
    """
    try:
        return PolicySpec.parse(spec).label
    except ConfigError:
        return spec.rstrip("/").rsplit("/", 1)[-1] or spec


def check_policy_options(spec: str, options: Mapping[str, Any]) -> None:
    """Parse ``spec`` and check the generation options its policy will get (:meth:`PolicySpec.check_options`;
    the policies that take none, such as ``oracle`` or ``module:attribute``, get none).

    Raises:
        ConfigError: an unknown spec, an option the backend does not take, a bad value.
    """
    parsed = PolicySpec.parse(spec)
    if parsed.generation_options:
        parsed.check_options(options)


def policy_builder(spec: str, options: Mapping[str, Any] | None = None) -> Callable[[], Policy]:
    """Check a spec cheaply (names, options, import paths, endpoints) and return what builds its policy.

    Raises:
        ConfigError: an unknown name (with a "did you mean"), a bad option, a bad import path, a missing
            checkpoint folder.
        PolicyError: an endpoint that does not answer.
    """
    parsed = PolicySpec.parse(spec)
    return parsed.builder(options if parsed.generation_options else {})


def load_policy(spec: str, options: Mapping[str, Any] | None = None) -> Policy:
    """The Policy a spec names, with generation ``options`` for model-backed ones.

    Raises:
        ConfigError: an unknown name (with a "did you mean"), a bad import path.
        PolicyError: an endpoint that does not answer.
    """
    return policy_builder(spec, options)()
