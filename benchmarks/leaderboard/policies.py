"""From a policy spec to a Policy, failing fast and helpfully before any episode runs.

A spec is one of:

* a name of :func:`agent_gym.baselines.policies.make_policy`: ``embedded`` (SmolLM2-135M-Instruct, the
  default), ``oracle``, ...;
* an OpenAI-compatible endpoint, ``http(s)://host:port/v1`` (optionally ``URL#model``): it must answer
  before the run starts, or the run stops at once with the URL in the message;
* a checkpoint folder (what ``agent-gym train`` writes), loaded by the transformers policy;
* ``module:attribute``: an importable Policy instance, or a zero-argument factory of one (your own policies).

Generation options (``max_new_tokens``, ``batch_size``, ``temperature``) go to the model-backed policies
(``max_new_tokens`` becomes ``max_tokens`` for endpoints); the others take none.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout.policy import Policy

from .config import did_you_mean

__all__ = ["check_endpoint", "load_policy", "policy_builder", "policy_label"]

_CONNECT_TIMEOUT_S = 5.0
_MODEL_BACKED = ("embedded", "transformers")


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


def policy_builder(spec: str, options: Mapping[str, Any] | None = None) -> Callable[[], Policy]:
    """Check a spec cheaply (names, import paths, endpoints) and return what builds its policy.

    Nothing heavy happens here, so every spec of a run can be checked before any model is loaded.

    Raises:
        ConfigError: an unknown name (with a "did you mean"), a bad import path, a missing checkpoint folder.
        PolicyError: an endpoint that does not answer.
    """
    from agent_gym.baselines.policies import POLICY_NAMES, make_policy

    options = dict(options or {})
    if spec.startswith(("http://", "https://")):
        url, _, model = spec.partition("#")
        check_endpoint(url)
        if "max_new_tokens" in options:
            options["max_tokens"] = options.pop("max_new_tokens")
        options.pop("batch_size", None)
        return lambda: make_policy("openai", base_url=url, model=model or "default", **options)
    if Path(spec).is_dir():
        return lambda: make_policy("transformers", model=spec, **options)
    if spec in _MODEL_BACKED:
        return lambda: make_policy(spec, **options)
    if spec in POLICY_NAMES:
        return lambda: make_policy(spec)
    if ":" in spec:
        policy = _from_import_path(spec)
        return lambda: policy
    if "/" in spec:
        raise ConfigError(f"no checkpoint folder {spec!r}; give the folder `agent-gym train` wrote (with config.json)")
    others = "or give a checkpoint folder, an http://host:port/v1 endpoint or a module:attribute"
    raise ConfigError(f"{did_you_mean('policy', spec, list(POLICY_NAMES))}; {others}")


def load_policy(spec: str, options: Mapping[str, Any] | None = None) -> Policy:
    """The Policy a spec names (see the module docstring), with generation ``options`` for model-backed ones.

    Raises:
        ConfigError: an unknown name (with a "did you mean"), a bad import path.
        PolicyError: an endpoint that does not answer.
    """
    return policy_builder(spec, options)()
