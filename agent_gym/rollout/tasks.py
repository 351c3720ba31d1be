"""Task identity: which task each episode plays, and with which sampling seed, in one place.

A task is ``(env id, split, index)``: the env made with ``split=...`` and reset with ``options={"index": i}``.
It is never encoded in a seed. Training walks its split in **epochs**, each a permutation of the split drawn
from ``(seed, epoch)``, so any seed and any number of steps work and every task is seen once per epoch.

An episode's **sampling seed** (the ``reset`` seed, from which the rollout engine derives each turn's seed) is
a function of ``(run seed, step, slot)`` only, never of the task: the draws of one task in a GRPO group
differ, and a resumed run samples what an uninterrupted one would have.

Training reads the ``train`` split. The ``dev`` split, which the leaderboard scores, is refused unless asked
for explicitly (``allow_dev=True``, ``--allow-dev-split``). Envs without splits (tasks generated from the
index, like ``KeyValueLookup-v0``) walk indices ``0, 1, 2, ...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import gymnasium as gym
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import ConfigError
from agent_gym.rollout.episode import turn_seed

__all__ = ["EVALUATION_SPLITS", "TRAIN_SPLIT", "TaskPlan", "TaskRef", "sampling_seed"]

_HOLDOUT_SEED = 20_251_201  # fixed: the held-out slice must not move with a run's seed

TRAIN_SPLIT = "train"
"""The split training reads by default."""
EVALUATION_SPLITS = frozenset({"dev", "test"})
"""Splits that are scored; training on them needs ``allow_dev=True``."""


class TaskRef(BaseModel):
    """One task of a registered env."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    env_id: str
    """Registered env id."""
    split: str | None
    """The split the env was made with; None for an env without splits."""
    index: int = Field(ge=0)
    """Position in the split: ``reset(options={"index": index})``."""

    def reset_options(self) -> dict[str, Any]:
        """The ``options`` of the ``reset`` that poses this task."""
        return {"index": self.index}


def sampling_seed(run_seed: int, step: int, slot: int) -> int:
    """The reset seed of the ``slot``-th episode of training step ``step``: independent of which task it plays.

    Example:
        >>> sampling_seed(0, 3, 1) == sampling_seed(0, 3, 1) != sampling_seed(0, 3, 2)
        True
        >>> sampling_seed(1, 0, 0) != sampling_seed(0, 0, 0)
        True
    """
    return turn_seed(turn_seed(int(run_seed), int(step)), int(slot))


class TaskPlan(BaseModel):
    """The order in which a training run visits the tasks of one split.

    Build it with :meth:`for_env`, which reads the split's size from the env. Example with a made-up size:

        >>> plan = TaskPlan(env_id="X-v0", split="train", size=4, seed=0)
        >>> first, second = plan.tasks(0, 4), plan.tasks(4, 4)
        >>> sorted(first) == sorted(second) == [0, 1, 2, 3]  # each epoch is a permutation
        True
        >>> plan.tasks(2, 3) == first[2:] + second[:1]
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    env_id: str
    """Registered env id."""
    split: str | None
    """The split walked; None for an env without splits."""
    size: int | None = Field(default=None, ge=1)
    """Tasks in the split; None when the env generates tasks from any index."""
    seed: int = 0
    """Seeds the permutation of each epoch."""
    holdout: int = Field(default=0, ge=0)
    """Tasks of the split kept out of the walk (:meth:`holdout_tasks`): a fixed slice, the same for every seed,
    on which learning curves are measured without training on it."""
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    """``gym.make`` arguments, ``split`` included when the env has splits."""

    @classmethod
    def for_env(
        cls,
        env_id: str,
        env_kwargs: Mapping[str, Any] | None = None,
        *,
        split: str | None = None,
        seed: int = 0,
        allow_dev: bool = False,
        holdout: int = 0,
    ) -> TaskPlan:
        """The plan over ``split`` (default: ``train``, or an explicit ``env_kwargs["split"]``) of ``env_id``.

        Raises:
            ConfigError: an evaluation split without ``allow_dev``; a split asked of an env that has none;
                an env whose split is empty.
        """
        kwargs = dict(env_kwargs or {})
        if split is not None and kwargs.get("split", split) != split:
            raise ConfigError(f"split={split!r} contradicts the env argument split={kwargs['split']!r}; give one")
        chosen = split or kwargs.pop("split", None)
        splits = env_splits(env_id)
        if not splits:
            if chosen is not None and chosen != TRAIN_SPLIT:
                raise ConfigError(f"{env_id} has no splits (its tasks are generated from the index); drop split={chosen!r}")
            chosen = None
        else:
            chosen = chosen or TRAIN_SPLIT
            if chosen not in splits:
                raise ConfigError(f"{env_id} has the splits {list(splits)}, not {chosen!r}")
            if chosen in EVALUATION_SPLITS and not allow_dev:
                raise ConfigError(
                    f"training on the {chosen!r} split of {env_id} is refused: the leaderboard scores it. Train on "
                    f"{TRAIN_SPLIT!r}, or pass allow_dev=True (--allow-dev-split) if you mean to"
                )
            kwargs["split"] = chosen
        env = gym.make(env_id, **kwargs)  # the plan does not exist yet: it needs the split's size
        try:
            size = getattr(env.unwrapped, "num_tasks", None)
        finally:
            env.close()
        if size is not None and size <= holdout:
            raise ConfigError(f"the {chosen!r} split of {env_id} holds {size} tasks, not more than the {holdout} held out")
        return cls(env_id=env_id, split=chosen, size=size, seed=seed, holdout=holdout, env_kwargs=kwargs)

    def index(self, position: int) -> int:
        """The task index at ``position`` in the walk (epoch ``position // size``, then its permutation)."""
        if position < 0:
            raise ConfigError(f"positions start at 0, got {position}")
        if self.size is None:
            return position + self.holdout
        epoch, offset = divmod(position, self.size - self.holdout)
        return int(self._permutation(epoch)[offset])

    def holdout_tasks(self) -> list[int]:
        """The held-out task indices: never in the walk, the same whatever the plan's seed."""
        if self.size is None:
            return list(range(self.holdout))
        return sorted(int(i) for i in np.random.default_rng(_HOLDOUT_SEED).permutation(self.size)[: self.holdout])

    def tasks(self, start: int, count: int) -> list[int]:
        """The task indices at positions ``start, ..., start + count - 1``."""
        return [self.index(p) for p in range(start, start + count)]

    def step_tasks(self, step: int, per_step: int) -> list[int]:
        """The ``per_step`` tasks of training step ``step`` (0-based)."""
        return self.tasks(step * per_step, per_step)

    def make_env(self) -> gym.Env:
        """A fresh env of the plan's split (what every episode of the walk is played in)."""
        return gym.make(self.env_id, **self.env_kwargs)

    def ref(self, index: int) -> TaskRef:
        """The typed identity of task ``index``."""
        return TaskRef(env_id=self.env_id, split=self.split, index=index)

    def _permutation(self, epoch: int) -> np.ndarray:
        cache = self._permutations
        if epoch not in cache:
            if len(cache) > 8:
                cache.clear()
            kept = np.setdiff1d(np.arange(self.size), self.holdout_tasks()) if self.holdout else np.arange(self.size)
            cache[epoch] = np.random.default_rng([self.seed & (2**63 - 1), epoch]).permutation(kept)
        return cache[epoch]

    @cached_property
    def _permutations(self) -> dict[int, np.ndarray]:
        return {}


def env_splits(env_id: str) -> tuple[str, ...]:
    """The splits an env class declares (its ``splits`` class attribute); () when it has none.

    Raises:
        ConfigError: the id is not registered (with a suggestion).
    """
    from gymnasium.envs.registration import load_env_creator

    from agent_gym.registry import registered_envs, suggest_env_id

    if env_id not in registered_envs():
        raise ConfigError(suggest_env_id(env_id))
    creator = gym.spec(env_id).entry_point
    env_class = load_env_creator(creator) if isinstance(creator, str) else creator
    return tuple(getattr(env_class, "splits", ()))
