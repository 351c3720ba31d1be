"""The policy grammar: what every ``--policy`` takes (``rollout``, ``train``, ``leaderboard``), parsed in one place.

A spec is one of, tried in this order:

* ``http(s)://host:port/v1[,URL...][#model]``: OpenAI-compatible servers of one model (several: an endpoint
  pool); ``#model`` names the served model (default ``default``);
* a policy name (:data:`~agent_gym.baselines.policies.POLICY_NAMES`): ``embedded``, ``oracle``, ``openai``,
  ``transformers``, ``human`` or a shipped agent (``sft``, ``sft-grpo``, ``sft-ppo``);
* a ``.gguf`` file, or a checkpoint folder (what ``agent-gym train`` writes: a full model or a LoRA adapter;
  ``./NAME`` for a folder named like a policy);
* ``module:attribute``: an importable Policy instance, or a zero-argument factory of one (your own policies).

:meth:`PolicySpec.parse` checks the text (names, files, URL syntax) without loading or connecting;
:meth:`PolicySpec.check_options` checks generation options against the backend's constructor;
:meth:`PolicySpec.builder` also imports ``module:attribute`` and checks that endpoints answer, and returns what
builds the policy (in this process or in a Ray worker); :meth:`PolicySpec.load_model` loads the trainable model
of a local spec (``agent-gym train --policy``).

Example:
    >>> PolicySpec.parse("http://a:8000/v1,http://b:8000/v1#qwen").label
    'qwen@a:8000+b:8000'
    >>> PolicySpec.parse("oracle").kind, PolicySpec.parse("sft").label
    ('name', 'SFT')
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from agent_gym.baselines.policies.factory import POLICY_NAMES
from agent_gym.baselines.trained import TRAINED_AGENTS, trained_agent_path
from agent_gym.errors import ConfigError, PolicyError, unknown_name
from agent_gym.rollout.policy import Policy

__all__ = ["GRAMMAR", "PolicySpec", "check_endpoint"]

GRAMMAR = "NAME | checkpoint DIR | FILE.gguf | URL[,URL...][#MODEL] | module:attribute"
"""The grammar in one line (error messages)."""

SpecKind = Literal["name", "checkpoint", "gguf", "endpoint", "import"]

_CONNECT_TIMEOUT_S = 5.0
_MODEL_BACKED = ("embedded", "transformers", *TRAINED_AGENTS)
"""Named policies that load a model in-process: the embedded one, any local one, and the shipped agents."""
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_OTHERS = "or give a checkpoint folder, a .gguf file, an http(s)://host:port/v1 endpoint (URL[,URL...][#model]) or module:attr"


@dataclass(frozen=True)
class PolicySpec:
    """A parsed ``--policy`` value. Build with :meth:`parse`."""

    text: str
    """The spec as given."""
    kind: SpecKind
    """What it names."""
    target: str
    """The policy name, the folder or file, the comma-joined base URLs, or ``module:attribute``."""
    model: str = "default"
    """The served model's name (endpoints only)."""

    @classmethod
    def parse(cls, text: str) -> PolicySpec:
        """Parse a spec without loading a model, importing a module or opening a connection.

        Raises:
            ConfigError: text that is not UTF-8, a bad URL, a missing folder or .gguf file, a malformed
                ``module:attribute``, an unknown name (with a "did you mean").
        """
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigError(
                f"policy {text!r} is not valid Unicode (bytes that are not UTF-8, e.g. in a folder name); "
                "rename it, or link to it under a UTF-8 name"
            ) from None
        if not text.strip():
            raise ConfigError(f"expected a policy ({GRAMMAR}), got an empty string")
        if text.startswith(("http://", "https://")):
            from agent_gym.utils.http import split_urls

            urls, _, model = text.partition("#")
            return cls(text, "endpoint", ",".join(split_urls(urls)), model or "default")
        if text in POLICY_NAMES:
            return cls(text, "name", text)
        path = Path(text).expanduser()
        if text.endswith(".gguf"):
            if not path.is_file():
                raise ConfigError(f"no GGUF file {text!r}; give the path of a local .gguf file")
            return cls(text, "gguf", str(path))
        if path.is_dir():
            return cls(text, "checkpoint", str(path))
        if ":" in text and "/" not in text:
            module, _, attribute = text.partition(":")
            if not (_DOTTED.match(module) and _DOTTED.match(attribute)):
                raise ConfigError(f"policy {text!r} is not module:attribute (e.g. my_pkg.agents:make_agent)")
            return cls(text, "import", text)
        if "/" in text or path.suffix:
            raise ConfigError(f"no checkpoint folder {text!r}; give the folder `agent-gym train` wrote (with config.json)")
        raise ConfigError(f"{unknown_name('policy', text, list(POLICY_NAMES))}; {_OTHERS}")

    @property
    def label(self) -> str:
        """A short display name: the folder name of a checkpoint, ``model@host`` of an endpoint.

        Example:
            >>> PolicySpec("runs/grpo/checkpoint-40", "checkpoint", "runs/grpo/checkpoint-40").label
            'checkpoint-40'
        """
        if self.kind == "name":
            return TRAINED_AGENTS.get(self.target, self.target)
        if self.kind == "endpoint":
            host = "+".join(url.split("://", 1)[-1].split("/", 1)[0] for url in self.target.split(","))
            return f"{self.model}@{host}" if "#" in self.text else host
        if self.kind in ("checkpoint", "gguf"):
            return Path(self.text.rstrip("/")).name or self.text
        return self.text

    @property
    def generation_options(self) -> bool:
        """Whether the policy takes generation options (``max_new_tokens``, ...): endpoints and local models."""
        return self.kind != "import" and (self.kind != "name" or self.target in _MODEL_BACKED)

    @property
    def local_model(self) -> bool:
        """Whether the spec names a local model that ``agent-gym train`` can start from."""
        return self.kind in ("checkpoint", "gguf") or self.target in ("embedded", *TRAINED_AGENTS)

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Check the options the policy will get, without loading a model or opening a connection.

        Names and types are checked against the backend's constructor signature; for the transformers-backed
        policies the constructor also runs on a stand-in model, so its own range checks apply. Other policies
        check their options when built.

        Raises:
            ConfigError: an option the backend does not take (with a "did you mean"), a value of the wrong type
                or out of range, ``transformers`` without ``model``.
        """
        if self.kind == "endpoint":
            from agent_gym.baselines.policies.openai_http import OpenAIPolicy

            _check_signature(self.text, OpenAIPolicy, _endpoint_options(options), fixed=("base_url", "model", "transport"))
        elif self.target == "openai":
            from agent_gym.baselines.policies.openai_http import OpenAIPolicy

            _check_signature(self.text, OpenAIPolicy, options, fixed=("transport",))
        elif self.kind in ("checkpoint", "gguf") or self.target in _MODEL_BACKED:
            from agent_gym.baselines.policies.transformers_lm import TransformersPolicy

            options = dict(options)
            if self.target == "transformers" and not options.pop("model", None):
                raise ConfigError("the transformers policy needs model=PATH (--policy-arg model=PATH)")
            _check_signature(self.text, TransformersPolicy, options, fixed=("model", "tokenizer"))
            # The constructor checks ranges before it loads anything; a stand-in "loaded" model lets it run to
            # the end at no cost. `threads` is left out: it sets torch's process-wide thread count.
            stand_in = {key: value for key, value in options.items() if key != "threads"}
            try:
                TransformersPolicy(SimpleNamespace(config=None), tokenizer=SimpleNamespace(pad_token_id=0), **stand_in)
            except ConfigError as exc:
                raise ConfigError(f"policy {self.text!r}: {exc}; fix the --policy-arg values") from None

    def builder(self, options: Mapping[str, Any] | None = None, *, check_endpoints: bool = True) -> Callable[[], Policy]:
        """Check the spec cheaply (options, import path, endpoints) and return what builds its policy.

        The result is picklable (a :func:`functools.partial`), so Ray workers can build their own copy.

        Raises:
            ConfigError: a bad option, an import path that does not give a Policy.
            PolicyError: an endpoint that does not answer (when ``check_endpoints``).
        """
        from agent_gym.baselines.policies import make_policy  # looked up now: tests swap it to see what gets built

        options = dict(options or {})
        self.check_options(options)
        if self.kind == "endpoint":
            if check_endpoints:
                for url in self.target.split(","):  # every server of a pool must answer now
                    check_endpoint(url)
            return functools.partial(make_policy, "openai", base_url=self.target, model=self.model, **_endpoint_options(options))
        if self.kind in ("checkpoint", "gguf"):
            return functools.partial(make_policy, "transformers", model=self.target, **options)
        if self.kind == "import":
            _from_import_path(self.text)  # fail now, not in the first worker
            return functools.partial(_from_import_path, self.text)
        return functools.partial(make_policy, self.target, **options)

    def build(self, options: Mapping[str, Any] | None = None) -> Policy:
        """The policy, with ``options`` (see :meth:`builder`)."""
        return self.builder(options)()

    def model_path(self) -> Path | None:
        """The local folder or file of the model (None for ``embedded``).

        Raises:
            ConfigError: a spec that names no local model (see :attr:`local_model`).
        """
        if not self.local_model:
            raise ConfigError(
                f"training needs a local model, got policy {self.text!r} ({self.kind}); give 'embedded', a shipped "
                f"agent ({', '.join(TRAINED_AGENTS)}), a checkpoint folder or a .gguf file"
            )
        if self.target == "embedded":
            return None
        if self.target in TRAINED_AGENTS:
            return trained_agent_path(self.target)
        return Path(self.target).resolve()

    def load_model(self, *, trainable_adapter: bool = False) -> tuple[Any, Any]:
        """``(model, tokenizer)`` of a local spec, from local files only (no hub access).

        Args:
            trainable_adapter: For an adapter (a folder or a shipped agent), keep a peft model whose adapter
                trains on (GRPO/PPO from SFT); otherwise it is merged into the weights.

        Raises:
            ConfigError: a spec that names no local model.
        """
        from agent_gym.baselines.policies.adapters import is_adapter
        from agent_gym.baselines.policies.embedded import embedded_checkpoint
        from agent_gym.baselines.policies.loading import load_adapter_model, load_causal_lm

        path = self.model_path()
        if path is None:
            return load_causal_lm(embedded_checkpoint())
        if is_adapter(path):
            return load_adapter_model(path, trainable=trainable_adapter)
        return load_causal_lm(path)


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


def _check_signature(spec: str, backend: type, options: Mapping[str, Any], *, fixed: tuple[str, ...]) -> None:
    from pydantic import TypeAdapter, ValidationError

    parameters = {name: p for name, p in inspect.signature(backend).parameters.items() if name not in fixed}
    hints = typing.get_type_hints(backend.__init__)
    for name, value in options.items():
        if name not in parameters:
            raise ConfigError(f"{unknown_name('policy option', name, list(parameters))} (for {spec!r}; set with --policy-arg)")
        try:
            TypeAdapter(hints.get(name, Any)).validate_python(value, strict=True)
        except ValidationError as exc:
            raise ConfigError(
                f"policy option {name}={value!r} for {spec!r}: {exc.errors()[0]['msg']}; fix the --policy-arg value"
            ) from None
