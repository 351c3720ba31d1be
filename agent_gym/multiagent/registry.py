"""The multi-agent registry: PettingZoo has none, so ``make`` looks team envs up here by versioned id.

A team env id names a wrapped single-agent env id (registered with Gymnasium by ``import agent_gym``, which
importing this module implies); the
wrapped env is built with ``gym.make(inner_id, **kwargs).unwrapped`` and handed to
:class:`~agent_gym.multiagent.team.TeamToolEnv`. Keyword arguments the team env takes (see
:data:`TEAM_KWARGS`) go to it; every other one goes to the wrapped env, so ``reward="process"``,
``noise="light"`` or ``tool_format="search_r1"`` work as they do for the single-agent env.
"""

from __future__ import annotations

import difflib
from typing import Any

import gymnasium as gym
from pettingzoo import AECEnv
from pettingzoo.utils.conversions import parallel_to_aec
from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import ConfigError
from agent_gym.multiagent.team import TeamToolEnv
from agent_gym.tools.env import ToolEnv

__all__ = ["TEAM_KWARGS", "TeamEnvSpec", "make", "make_aec", "register_team_env", "registered_team_envs", "spec"]

TEAM_KWARGS = frozenset({"answerer_max_turns", "answerer_instructions", "searcher_note", "render_mode"})
"""Keyword arguments of :func:`make` that configure the team; the others configure the wrapped env."""


class TeamEnvSpec(BaseModel):
    """One registered team env."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Versioned id, e.g. ``"MultiHopQATeam-v0"``."""
    inner_id: str
    """Gymnasium id of the single-agent ToolEnv the searcher plays."""
    name: str
    """PettingZoo name (``metadata["name"]``), e.g. ``"multihopqa_team_v0"``."""
    description: str
    """One line for listings."""
    kwargs: dict[str, Any] = Field(default_factory=dict)
    """Default keyword arguments (overridden by those given to ``make``)."""


_REGISTRY: dict[str, TeamEnvSpec] = {}


def register_team_env(
    env_id: str, inner_id: str, description: str, *, name: str | None = None, kwargs: dict[str, Any] | None = None
) -> TeamEnvSpec:
    """Register a team env over a Gymnasium-registered ToolEnv id (registering the same spec again is a no-op).

    Raises:
        ConfigError: the id has no version suffix, or is already registered with a different spec.
    """
    base, _, version = env_id.rpartition("-v")
    if not base or not version.isdigit():
        raise ConfigError(f"team env ids end with their version, like 'MyTeam-v0'; got {env_id!r}")
    spec = TeamEnvSpec(
        id=env_id,
        inner_id=inner_id,
        name=name or f"{base.lower()}_v{version}",
        description=description,
        kwargs=dict(kwargs or {}),
    )
    if env_id in _REGISTRY and _REGISTRY[env_id] != spec:
        raise ConfigError(f"{env_id!r} is already registered as {_REGISTRY[env_id]!r}; choose another id or version")
    _REGISTRY[env_id] = spec
    return spec


def registered_team_envs() -> dict[str, str]:
    """``{team env id: description}``."""
    return {env_id: spec.description for env_id, spec in sorted(_REGISTRY.items())}


def spec(env_id: str) -> TeamEnvSpec:
    """The spec of a registered team env.

    Raises:
        ConfigError: no such id; the message suggests the closest one.
    """
    if env_id not in _REGISTRY:
        close = difflib.get_close_matches(env_id, list(_REGISTRY), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"no multi-agent env {env_id!r}; registered: {sorted(_REGISTRY)}.{hint}")
    return _REGISTRY[env_id]


def make(env_id: str, **kwargs: Any) -> TeamToolEnv:
    """Build a registered team env as a PettingZoo ``ParallelEnv``.

    Example:
        >>> env = make("KeyValueLookupTeam-v0", reward="process")
        >>> observations, infos = env.reset(seed=0)
        >>> env.agents, infos["searcher_0"]["tools"], infos["answerer_0"]["tools"]
        (['searcher_0', 'answerer_0'], ['lookup'], [])

    Raises:
        ConfigError: unknown id (with a "did you mean"), or the wrapped env is not a ToolEnv.
    """
    team_spec = spec(env_id)
    merged = {**team_spec.kwargs, **kwargs}
    team_kwargs = {key: merged.pop(key) for key in TEAM_KWARGS & set(merged)}
    inner = gym.make(team_spec.inner_id, **merged).unwrapped
    if not isinstance(inner, ToolEnv):
        raise ConfigError(f"{team_spec.inner_id!r} builds a {type(inner).__name__}; a team env needs a ToolEnv")
    return TeamToolEnv(inner, name=team_spec.name, **team_kwargs)


def make_aec(env_id: str, **kwargs: Any) -> AECEnv:
    """Build a registered team env in PettingZoo's AEC form (through ``parallel_to_aec``)."""
    return parallel_to_aec(make(env_id, **kwargs))


register_team_env(
    "KeyValueLookupTeam-v0",
    "KeyValueLookup-v0",
    "A searcher follows a key chain with the lookup tool; a tool-less answerer answers from its report.",
    name="keyvaluelookup_team_v0",
)
register_team_env(
    "MultiHopQATeam-v0",
    "MultiHopQA-v0",
    "Cooperative multi-hop QA: a searcher with the search tool reports to an answerer that holds no tools.",
    name="multihopqa_team_v0",
)
