"""From a ``--policy`` spec to a Policy, failing fast and helpfully before any episode runs.

A spec is one of:

* a policy name of :func:`agent_gym.baselines.policies.make_policy` (``smollm2``, the embedded default;
  ``oracle``; ...), possibly with its own arguments;
* an OpenAI-compatible endpoint, ``http(s)://host:port/v1`` (optionally ``URL#model``): it must answer
  before the run starts, or the run stops at once with the URL in the message;
* a checkpoint folder (what ``agent-gym train`` writes), loaded by the transformers policy;
* ``module:attribute``: an importable Policy instance, or a zero-argument factory of one (for your own policies
  and for tests).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout.policy import Policy

from .config import did_you_mean

__all__ = ["check_endpoint", "load_policy", "policy_label"]

_CONNECT_TIMEOUT_S = 5.0


def policy_label(spec: str) -> str:
    """A short display name of a spec: the folder name of a checkpoint, the host and model of an endpoint.

    Example:
        >>> policy_label("runs/grpo/checkpoint-40"), policy_label("http://127.0.0.1:8000/v1#qwen")
        ('checkpoint-40', 'qwen@127.0.0.1:8000')
    """
    if spec.startswith(("http://", "https://")):
        url, _, model = spec.partition("#")
        host = url.split("://", 1)[1].split("/", 1)[0]
        return f"{model}@{host}" if model else host
    if "/" in spec or Path(spec).is_dir():
        return Path(spec.rstrip("/")).name or spec
    return spec


def check_endpoint(url: str, *, timeout_s: float = _CONNECT_TIMEOUT_S, transport: Any = None) -> None:
    """Raise unless an HTTP server answers at ``url`` (any status counts: it is up).

    Raises:
        PolicyError: nothing answered within ``timeout_s``; the message names the URL.
    """
    import httpx

    try:
        with httpx.Client(timeout=timeout_s, transport=transport) as client:
            client.get(url.rstrip("/") + "/models")
    except httpx.HTTPError as exc:
        raise PolicyError(
            f"cannot reach the OpenAI-compatible endpoint {url} ({type(exc).__name__}: {exc}); "
            "start the server or fix the --policy URL"
        ) from None


def _from_import_path(spec: str) -> Policy:
    module_name, _, attribute = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import policy {spec!r} ({exc}); expected module:attribute") from None
    is_instance = isinstance(target, Policy) and not isinstance(target, type)
    policy = target if is_instance or not callable(target) else target()
    if not isinstance(policy, Policy):
        raise ConfigError(f"{spec!r} gave {type(policy).__name__}, not a Policy (an object with act(histories, tools=, seeds=))")
    return policy


def load_policy(spec: str) -> Policy:
    """The Policy a spec names (see the module docstring).

    Raises:
        ConfigError: an unknown name (with a "did you mean"), a missing checkpoint or a bad import path.
        PolicyError: an endpoint that does not answer.
    """
    if spec.startswith(("http://", "https://")):
        url, _, model = spec.partition("#")
        check_endpoint(url)
        from agent_gym.baselines.policies import OpenAIPolicy

        return OpenAIPolicy(url, model=model or "default")
    if ":" in spec and not Path(spec).exists() and "=" not in spec.split(":", 1)[0]:
        return _from_import_path(spec)
    from agent_gym.baselines import policies

    make_policy = getattr(policies, "make_policy", None)
    names = list(getattr(policies, "POLICY_NAMES", ("oracle",)))
    if make_policy is None:  # only the lightweight policies are available
        if spec == "oracle":
            return policies.OraclePolicy()
        raise ConfigError(did_you_mean("policy", spec, names))
    try:
        return make_policy(spec)
    except ConfigError as exc:
        if spec.split(":", 1)[0] not in names and not Path(spec).exists() and "did you mean" not in str(exc).lower():
            raise ConfigError(did_you_mean("policy", spec, names) + f" ({exc})") from None
        raise
