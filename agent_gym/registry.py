"""Registration of agent-gym envs into Gymnasium's registry, with one-line descriptions.

Each env's record is one :class:`AgentGymEnvSpec` in ``gymnasium.registry``: Gymnasium's ``EnvSpec`` (id, entry
point, default kwargs) plus the description that ``agent-gym list`` shows, so there is no side table to keep in
step. Entry points are strings, so registering imports nothing: ``import agent_gym`` stays light and the
``agent_gym`` package never imports the ``envs`` room it registers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec

from agent_gym.errors import ConfigError, did_you_mean

__all__ = [
    "BUILTIN_ENVS",
    "AgentGymEnvSpec",
    "REMOTE_ENV_ID",
    "EnvEntry",
    "register_builtin_envs",
    "register_env",
    "registered_envs",
    "suggest_env_id",
]

EnvEntry = tuple[str, str, str, dict[str, Any]]
"""(id, entry point, one-line description, default kwargs)."""

BUILTIN_ENVS: tuple[EnvEntry, ...] = (
    (
        "KeyValueLookup-v0",
        "agent_gym.envs.key_value:KeyValueLookupEnv",
        "Follow a chain of keys through a lookup tool to the final value (data-free tutorial env).",
        {},
    ),
    (
        "KeyValueLookupNoisy-v0",
        "agent_gym.envs.key_value:KeyValueLookupEnv",
        "KeyValueLookup-v0 with the 'light' noise preset: failing and truncated lookups.",
        {"noise": "light"},
    ),
    (
        "MultiHopQA-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "Multi-hop QA over real HotpotQA, 2WikiMultihopQA and MuSiQue questions with a BM25 search tool.",
        {},
    ),
    (
        "MultiHopQANoisy-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "MultiHopQA-v0 with the 'light' noise preset: failed searches, dropped, shuffled and truncated passages.",
        {"noise": "light"},
    ),
    (
        "HotpotQA-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "HotpotQA (distractor dev questions) with a search tool over their pooled Wikipedia paragraphs.",
        {"dataset": "hotpotqa"},
    ),
    (
        "HotpotQANoisy-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "HotpotQA-v0 with the 'light' noise preset: failed searches, dropped, shuffled and truncated passages.",
        {"dataset": "hotpotqa", "noise": "light"},
    ),
    (
        "TwoWikiMultihopQA-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "2WikiMultihopQA dev questions with a search tool over their pooled Wikipedia paragraphs.",
        {"dataset": "2wikimultihopqa"},
    ),
    (
        "TwoWikiMultihopQANoisy-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "TwoWikiMultihopQA-v0 with the 'light' noise preset: failed searches, dropped, shuffled and truncated passages.",
        {"dataset": "2wikimultihopqa", "noise": "light"},
    ),
    (
        "MuSiQue-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "MuSiQue-Ans dev questions with a search tool over their pooled Wikipedia paragraphs.",
        {"dataset": "musique"},
    ),
    (
        "MuSiQueNoisy-v0",
        "agent_gym.envs.qa.env:MultiHopQAEnv",
        "MuSiQue-v0 with the 'light' noise preset: failed searches, dropped, shuffled and truncated passages.",
        {"dataset": "musique", "noise": "light"},
    ),
)

REMOTE_ENV_ID = "agent-gym/Remote-v0"
"""The client of an env server (``agent-gym serve-env``): registered with Gymnasium, but not a task of its own,
so not among :func:`registered_envs`."""


@dataclasses.dataclass
class AgentGymEnvSpec(EnvSpec):
    """Gymnasium's ``EnvSpec`` of an env registered through agent-gym, with its one-line description."""

    description: str = ""
    """One line for ``agent-gym list``."""


def register_env(
    env_id: str, entry_point: str | Callable[..., gym.Env], description: str, kwargs: dict[str, Any] | None = None
) -> None:
    """Register an env with Gymnasium, its description in the same spec (registering it again is a no-op).

    Raises:
        ConfigError: another package registered ``env_id`` already.
    """
    if env_id in gym.registry and not isinstance(gym.registry[env_id], AgentGymEnvSpec):
        raise ConfigError(f"{env_id!r} is already registered by another package; choose another id")
    if env_id not in gym.registry:
        gym.register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs or {}), disable_env_checker=False)
    registered = gym.registry[env_id]
    fields = {f.name: getattr(registered, f.name) for f in dataclasses.fields(EnvSpec) if f.init}
    gym.registry[env_id] = AgentGymEnvSpec(**fields, description=description)


def register_builtin_envs() -> None:
    """Register every built-in env (idempotent)."""
    for env_id, entry_point, description, kwargs in BUILTIN_ENVS:
        register_env(env_id, entry_point, description, kwargs)
    if REMOTE_ENV_ID not in gym.registry:
        gym.register(id=REMOTE_ENV_ID, entry_point="agent_gym.serving.client:RemoteEnv")


def registered_envs() -> dict[str, str]:
    """``{env id: description}`` of every env registered through agent-gym (read from ``gymnasium.registry``)."""
    return {env_id: spec.description for env_id, spec in sorted(gym.registry.items()) if isinstance(spec, AgentGymEnvSpec)}


def suggest_env_id(env_id: str) -> str:
    """An error message for an unknown id, with a "did you mean" when one is close."""
    hint = did_you_mean(env_id, registered_envs())
    return f"no agent-gym env {env_id!r}; run `agent-gym list` to see them.{hint}"
