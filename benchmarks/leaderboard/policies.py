"""From a policy spec to a Policy, failing fast and helpfully before any episode runs.

A spec is one of:

* a name of :func:`agent_gym.baselines.policies.make_policy`: ``embedded`` (SmolLM2-135M-Instruct, the
  default), ``oracle``, ...;
* an OpenAI-compatible endpoint, ``http(s)://host:port/v1`` (optionally ``URL#model``), or several servers of
  one model, ``URL,URL,...#model`` (an endpoint pool): each must answer before the run starts, or the run stops
  at once with the URL in the message;
* a checkpoint folder (what ``agent-gym train`` writes), loaded by the transformers policy;
* ``module:attribute``: an importable Policy instance, or a zero-argument factory of one (your own policies).

Generation options (``max_new_tokens``, ``batch_size``, ``temperature``) go to the model-backed policies
(``max_new_tokens`` becomes ``max_tokens`` for endpoints); the others take none. :func:`check_policy_options`
checks them against the backend's own constructor (names, types, ranges) without loading anything, so a typo
fails before minutes of model loading rather than after.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import TypeAdapter, ValidationError

from agent_gym.baselines.trained import TRAINED_AGENTS
from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout.policy import Policy
from agent_gym.utils.http import split_urls

from .config import did_you_mean

__all__ = ["check_endpoint", "check_policy_options", "load_policy", "policy_builder", "policy_label"]

_CONNECT_TIMEOUT_S = 5.0
_MODEL_BACKED = ("embedded", "transformers", *TRAINED_AGENTS)
"""Named policies that load a model in-process: the embedded one, any local one, and the shipped agents."""


def policy_label(spec: str) -> str:
    """A short display name of a spec: the folder name of a checkpoint, the host and model of an endpoint.

    Example:
        >>> policy_label("runs/grpo/checkpoint-40"), policy_label("http://127.0.0.1:8000/v1#qwen")
        ('checkpoint-40', 'qwen@127.0.0.1:8000')
        >>> policy_label("http://a:8000/v1,http://b:8000/v1#qwen")
        'qwen@a:8000+b:8000'
    """
    if spec in TRAINED_AGENTS:
        return TRAINED_AGENTS[spec]
    if spec.startswith(("http://", "https://")):
        urls, _, model = spec.partition("#")
        host = "+".join(url.split("://", 1)[-1].split("/", 1)[0] for url in urls.split(","))
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


def _endpoint_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The generation options as an endpoint takes them: ``max_tokens`` for ``max_new_tokens``, no ``batch_size``."""
    options = dict(options)
    if "max_new_tokens" in options:
        options["max_tokens"] = options.pop("max_new_tokens")
    options.pop("batch_size", None)
    return options


def _backend(spec: str) -> str:
    """What a spec names: ``endpoint``, ``checkpoint``, a model-backed or other policy name, or ``import``.

    Raises:
        ConfigError: a missing checkpoint folder, an unknown name (with a "did you mean").
    """
    from agent_gym.baselines.policies import POLICY_NAMES

    if spec.startswith(("http://", "https://")):
        return "endpoint"
    if Path(spec).is_dir():
        return "checkpoint"
    if spec in POLICY_NAMES:
        return spec
    if ":" in spec:
        return "import"
    if "/" in spec:
        raise ConfigError(f"no checkpoint folder {spec!r}; give the folder `agent-gym train` wrote (with config.json)")
    others = "or give a checkpoint folder, an http://host:port/v1 endpoint or a module:attribute"
    raise ConfigError(f"{did_you_mean('policy', spec, list(POLICY_NAMES))}; {others}")


def check_policy_options(spec: str, options: Mapping[str, Any]) -> None:
    """Check the generation options a spec's policy will get, without loading a model or opening a connection.

    Names and types are checked against the backend's constructor signature; for the transformers-backed
    policies (``embedded``, checkpoints) the constructor also runs on a stand-in model, so its own range
    checks apply. Specs that take no options ignore them.

    Raises:
        ConfigError: an unknown spec, an option the backend does not take (with a "did you mean"), a value of
            the wrong type or out of range.
    """
    backend = _backend(spec)
    if backend == "endpoint":
        from agent_gym.baselines.policies.openai_http import OpenAIPolicy

        _check_signature(spec, OpenAIPolicy, _endpoint_options(options), fixed=("base_url", "model", "transport"))
    elif backend in ("checkpoint", *_MODEL_BACKED):
        from agent_gym.baselines.policies.transformers_lm import TransformersPolicy

        options = dict(options)
        if backend == "transformers" and not options.pop("model", None):
            raise ConfigError("the transformers policy needs model=PATH (--policy-arg model=PATH)")
        _check_signature(spec, TransformersPolicy, options, fixed=("model", "tokenizer"))
        # The constructor checks ranges before it loads anything; a stand-in "loaded" model lets it run to the
        # end at no cost. `threads` is left out: it sets torch's process-wide thread count.
        stand_in = {key: value for key, value in options.items() if key != "threads"}
        try:
            TransformersPolicy(SimpleNamespace(config=None), tokenizer=SimpleNamespace(pad_token_id=0), **stand_in)
        except ConfigError as exc:
            raise ConfigError(f"policy {spec!r}: {exc}; fix the --policy-arg values") from None


def _check_signature(spec: str, backend: type, options: Mapping[str, Any], *, fixed: tuple[str, ...]) -> None:
    parameters = {name: p for name, p in inspect.signature(backend).parameters.items() if name not in fixed}
    hints = typing.get_type_hints(backend.__init__)
    for name, value in options.items():
        if name not in parameters:
            raise ConfigError(f"{did_you_mean('policy option', name, list(parameters))} (for {spec!r}; set with --policy-arg)")
        try:
            TypeAdapter(hints.get(name, Any)).validate_python(value, strict=True)
        except ValidationError as exc:
            raise ConfigError(
                f"policy option {name}={value!r} for {spec!r}: {exc.errors()[0]['msg']}; fix the --policy-arg value"
            ) from None


def policy_builder(spec: str, options: Mapping[str, Any] | None = None) -> Callable[[], Policy]:
    """Check a spec cheaply (names, options, import paths, endpoints) and return what builds its policy.

    Nothing heavy happens here, so every spec of a run can be checked before any model is loaded.

    Raises:
        ConfigError: an unknown name (with a "did you mean"), a bad option, a bad import path, a missing
            checkpoint folder.
        PolicyError: an endpoint that does not answer.
    """
    from agent_gym.baselines.policies import make_policy

    options = dict(options or {})
    check_policy_options(spec, options)
    backend = _backend(spec)
    if backend == "endpoint":
        url, _, model = spec.partition("#")
        for one in split_urls(url):  # every server of a pool must answer now
            check_endpoint(one)
        return lambda: make_policy("openai", base_url=url, model=model or "default", **_endpoint_options(options))
    if backend == "checkpoint":
        return lambda: make_policy("transformers", model=spec, **options)
    if backend in _MODEL_BACKED:
        return lambda: make_policy(backend, **options)
    if backend == "import":
        policy = _from_import_path(spec)
        return lambda: policy
    return lambda: make_policy(backend)


def load_policy(spec: str, options: Mapping[str, Any] | None = None) -> Policy:
    """The Policy a spec names (see the module docstring), with generation ``options`` for model-backed ones.

    Raises:
        ConfigError: an unknown name (with a "did you mean"), a bad import path.
        PolicyError: an endpoint that does not answer.
    """
    return policy_builder(spec, options)()
