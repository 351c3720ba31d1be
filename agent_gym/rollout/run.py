"""The one-call ways to play episodes on the rollout engine.

* :func:`rollout`: a fresh engine (local, or on a Ray cluster) over an env id or factory;
* :func:`run_episode`: one episode on an env instance the caller keeps;
* :class:`BorrowedEnvs`: the env factory behind it, for running the engine over envs someone else owns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym

from agent_gym.errors import ConfigError
from agent_gym.rollout.engine import EnvSpec, RolloutEngine
from agent_gym.rollout.policy import Policy
from agent_gym.types import Episode

__all__ = ["BorrowedEnvs", "rollout", "run_episode"]


def rollout(
    env: EnvSpec,
    policy: Policy,
    *,
    n_episodes: int | None = None,
    seeds: Sequence[int] | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    ray: str | None = None,
    **engine_kwargs: Any,
) -> list[Episode]:
    """Run ``n_episodes`` episodes (seeds ``seed, seed + 1, …``) or one per given seed.

    Args:
        env: A registered env id or an env factory.
        policy: The policy to act with.
        n_episodes: How many episodes (with ``seed``); ignored when ``seeds`` is given.
        seeds: Explicit reset seeds, one per episode.
        seed: First seed when ``n_episodes`` is used.
        out: JSONL file to stream the episodes to.
        ray: Run on this Ray cluster (``auto`` or ``HOST:PORT``) with
            :class:`~agent_gym.rollout.ray_engine.RayRolloutEngine`, which then takes the options; None: locally.
        **engine_kwargs: :class:`RolloutEngine` options (``concurrency``, ``max_batch``, ``progress``, …).

    Example:
        >>> import agent_gym
        >>> from agent_gym.baselines.policies import OraclePolicy
        >>> episodes = rollout("KeyValueLookup-v0", OraclePolicy(), n_episodes=2, concurrency=2)
        >>> [e.metrics["em"] for e in episodes]
        [1.0, 1.0]
    """
    if seeds is None:
        if n_episodes is None or n_episodes < 0:
            raise ConfigError(f"give n_episodes (>= 0) or seeds, got n_episodes={n_episodes!r}")
        seeds = range(seed, seed + n_episodes)
    if ray is not None:
        from agent_gym.rollout.ray_engine import RayRolloutEngine

        with RayRolloutEngine(env, policy, address=ray, **engine_kwargs) as engine:
            return engine.run(seeds, out=out)
    return RolloutEngine(env, policy, **engine_kwargs).run(seeds, out=out)


def run_episode(env: gym.Env, policy: Policy, *, seed: int = 0, reset_options: dict[str, Any] | None = None) -> Episode:
    """Play one episode on an existing env instance (which stays open)."""
    engine = RolloutEngine(BorrowedEnvs([env]), policy, concurrency=1, reset_options=reset_options)
    return engine.run([seed])[0]


class BorrowedEnvs:
    """An env factory that hands out the caller's env instances, in order, and never closes them.

    For running the engine over envs someone else owns (``run_episode``, a leaderboard cell): give the engine
    ``concurrency=len(envs)``.
    """

    def __init__(self, envs: Sequence[gym.Env]):
        self._envs = list(envs)
        self._next = 0

    def __call__(self) -> gym.Env:
        if self._next >= len(self._envs):
            raise ConfigError(f"asked for more than the {len(self._envs)} borrowed envs; set concurrency <= {len(self._envs)}")
        env = self._envs[self._next]
        self._next += 1
        return _NoClose(env)


class _NoClose(gym.Wrapper):
    def close(self) -> None:  # the caller owns the env
        pass
