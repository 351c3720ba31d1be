"""Team envs in PettingZoo's own registry (``pettingzoo.env_registry``, shipped since PettingZoo 1.27).

:func:`register_team_env` puts one :class:`TeamEnvSpec` (PettingZoo's ``EnvSpec`` plus a description) into
PettingZoo's parallel registry and one into its AEC registry, so ``pettingzoo.env_registry.make("parallel",
"MultiHopQATeam-v0")`` works as :func:`make` does; :func:`make` adds agent-gym's "did you mean" and the
``ConfigError`` for a wrapped env that is not a ToolEnv.

A team env id names a wrapped single-agent env id (registered with Gymnasium by ``import agent_gym``, which
importing this module implies); the wrapped env is built with ``gym.make(inner_id, **kwargs).unwrapped`` and
handed to :class:`~agent_gym.multiagent.team.TeamToolEnv`. Keyword arguments the team env takes (see
:data:`TEAM_KWARGS`) go to it; every other one goes to the wrapped env, so ``reward="process"``,
``noise="light"`` or ``tool_format="search_r1"`` work as they do for the single-agent env.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import gymnasium as gym
from pettingzoo import AECEnv
from pettingzoo.env_registry import registration as pettingzoo_registry
from pettingzoo.env_registry.spec import EnvSpec
from pettingzoo.utils.conversions import parallel_to_aec

from agent_gym.errors import ConfigError, did_you_mean
from agent_gym.multiagent.team import TeamToolEnv
from agent_gym.tools.env import ToolEnv

__all__ = ["TEAM_KWARGS", "TeamEnvSpec", "make", "make_aec", "register_team_env", "registered_team_envs", "spec"]

TEAM_KWARGS = frozenset({"answerer_max_turns", "answerer_instructions", "searcher_note", "render_mode"})
"""Keyword arguments of :func:`make` that configure the team; the others configure the wrapped env."""


@dataclasses.dataclass(frozen=True)
class _TeamFactory:
    """The entry point of a team env: comparable, so registering the same env twice is recognised as such."""

    inner_id: str
    """Gymnasium id of the single-agent ToolEnv the searcher plays."""
    pettingzoo_name: str
    """PettingZoo name (``metadata["name"]``), e.g. ``"multihopqa_team_v0"``."""
    form: Literal["parallel", "aec"]

    def __call__(self, **kwargs: Any) -> TeamToolEnv | AECEnv:
        team_kwargs = {key: kwargs.pop(key) for key in TEAM_KWARGS & set(kwargs)}
        inner = gym.make(self.inner_id, **kwargs).unwrapped
        if not isinstance(inner, ToolEnv):
            raise ConfigError(f"{self.inner_id!r} builds a {type(inner).__name__}; a team env needs a ToolEnv")
        team = TeamToolEnv(inner, name=self.pettingzoo_name, **team_kwargs)
        return team if self.form == "parallel" else parallel_to_aec(team)


@dataclasses.dataclass(frozen=True, slots=True)
class TeamEnvSpec(EnvSpec):
    """PettingZoo's ``EnvSpec`` of a team env (id, entry point, default kwargs), with its one-line description."""

    description: str = ""
    """One line for ``agent-gym list``."""

    @property
    def inner_id(self) -> str:
        """Gymnasium id of the single-agent ToolEnv the searcher plays."""
        return self.entry_point.inner_id

    @property
    def pettingzoo_name(self) -> str:
        """PettingZoo name (``metadata["name"]``), e.g. ``"multihopqa_team_v0"``."""
        return self.entry_point.pettingzoo_name


def register_team_env(
    env_id: str, inner_id: str, description: str, *, name: str | None = None, kwargs: dict[str, Any] | None = None
) -> TeamEnvSpec:
    """Register a team env over a Gymnasium-registered ToolEnv id (registering the same spec again is a no-op).

    Args:
        env_id: Versioned id, e.g. ``"MultiHopQATeam-v0"``.
        inner_id: Gymnasium id of the ToolEnv the searcher plays.
        description: One line for listings.
        name: PettingZoo name (``metadata["name"]``); default: the id lower-cased, ``-v0`` as ``_v0``.
        kwargs: Default keyword arguments (overridden by those given to ``make``).

    Raises:
        ConfigError: the id has no version suffix, or is already registered with a different spec.
    """
    base, _, version = env_id.rpartition("-v")
    if not base or not version.isdigit():
        raise ConfigError(f"team env ids end with their version, like 'MyTeam-v0'; got {env_id!r}")
    name = name or f"{base.lower()}_v{version}"
    specs = {
        form: TeamEnvSpec(
            id=env_id, entry_point=_TeamFactory(inner_id, name, form), kwargs=dict(kwargs or {}), description=description
        )
        for form in ("parallel", "aec")
    }
    registered = pettingzoo_registry.parallel_registry.get(env_id)
    if registered is not None and registered != specs["parallel"]:
        raise ConfigError(f"{env_id!r} is already registered as {registered!r}; choose another id or version")
    # Straight into PettingZoo's registries: its register() would build a plain EnvSpec and drop the description.
    pettingzoo_registry.parallel_registry[env_id] = specs["parallel"]
    pettingzoo_registry.aec_registry[env_id] = specs["aec"]
    return specs["parallel"]


def registered_team_envs() -> dict[str, str]:
    """``{team env id: description}``, read from PettingZoo's parallel registry."""
    return {
        env_id: team_spec.description
        for env_id, team_spec in sorted(pettingzoo_registry.parallel_registry.items())
        if isinstance(team_spec, TeamEnvSpec)
    }


def spec(env_id: str, form: Literal["parallel", "aec"] = "parallel") -> TeamEnvSpec:
    """The spec of a registered team env.

    Raises:
        ConfigError: no such id; the message suggests the closest one.
    """
    registry = pettingzoo_registry.parallel_registry if form == "parallel" else pettingzoo_registry.aec_registry
    team_spec = registry.get(env_id)
    if not isinstance(team_spec, TeamEnvSpec):
        known = list(registered_team_envs())
        hint = did_you_mean(env_id, known, cutoff=0.5)
        raise ConfigError(f"no multi-agent env {env_id!r}; registered: {known}.{hint}")
    return team_spec


def make(env_id: str, **kwargs: Any) -> TeamToolEnv:
    """Build a registered team env as a PettingZoo ``ParallelEnv`` (through ``pettingzoo.env_registry.make``).

    Example:
        >>> env = make("KeyValueLookupTeam-v0", reward="process")
        >>> observations, infos = env.reset(seed=0)
        >>> env.agents, infos["searcher_0"]["tools"], infos["answerer_0"]["tools"]
        (['searcher_0', 'answerer_0'], ['lookup'], [])

    Raises:
        ConfigError: unknown id (with a "did you mean"), or the wrapped env is not a ToolEnv.
    """
    return pettingzoo_registry.make("parallel", spec(env_id, "parallel"), **kwargs)


def make_aec(env_id: str, **kwargs: Any) -> AECEnv:
    """Build a registered team env in PettingZoo's AEC form (``parallel_to_aec`` of :func:`make`'s env)."""
    return pettingzoo_registry.make("aec", spec(env_id, "aec"), **kwargs)


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
