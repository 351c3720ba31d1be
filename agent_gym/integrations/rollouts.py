"""Training rollouts: episodes sampled from the model being trained, as TokenTrajectory, for both trainers.

GRPO needs several episodes *of the same task* with different samples, and PPO needs seeds that depend only
on the training step (so a resumed run collects what an uninterrupted one would). Both are served by one rule:
the env is reset with ``options={"index": task}`` (the task) and with the seed ``task * SEED_STRIDE + draw``
(the sampling), so the rollout engine's per-turn sampling seeds differ between draws of one task.
Envs opt into this by honouring ``options["index"]`` in ``sample_task`` (the key-value and QA envs do).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import gymnasium as gym

from agent_gym.errors import ConfigError
from agent_gym.rollout.trajectory import TokenTrajectory
from agent_gym.types import Episode

__all__ = ["SEED_STRIDE", "Sample", "TaskPinned", "TrainingRollouts"]

SEED_STRIDE = 1_000_003
"""Reset seeds are ``task * SEED_STRIDE + draw``; the task index is ``seed // SEED_STRIDE``."""


class Sample(NamedTuple):
    """One training episode."""

    trajectory: TokenTrajectory
    """The episode in tokens (exact generated ids, env deltas, loss mask, per-turn rewards)."""
    episode: Episode
    """The episode record (messages, steps, metrics)."""


class TaskPinned(gym.Wrapper):
    """Resets play task ``seed // SEED_STRIDE`` (passed as ``options["index"]``) with the whole seed for sampling."""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        options = dict(options or {})
        if seed is not None and "index" not in options:
            options["index"] = int(seed) // SEED_STRIDE
        return self.env.reset(seed=seed, options=options)


class TrainingRollouts:
    """Collects episodes of ``env_id`` from an in-memory causal LM with the rollout engine.

    Args:
        env_id: A registered env id.
        tokenizer: The model's tokenizer (with its chat template).
        env_kwargs: Keyword arguments for ``gym.make``.
        max_new_tokens: Generation budget per turn.
        temperature: Sampling temperature (training samples, so > 0).
        batch_size: Most histories per generation batch.
        concurrency: Env instances stepping at once (default ``batch_size``, so every generation batch is full).
    """

    def __init__(
        self,
        env_id: str,
        tokenizer: Any,
        *,
        env_kwargs: dict[str, Any] | None = None,
        max_new_tokens: int = 64,
        temperature: float = 1.0,
        batch_size: int = 8,
        concurrency: int | None = None,
    ):
        if temperature <= 0:
            raise ConfigError(f"training rollouts must sample: temperature must be > 0, got {temperature}")
        self.env_id = env_id
        self.tokenizer = tokenizer
        self.env_kwargs = dict(env_kwargs or {})
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.batch_size = batch_size
        self.concurrency = concurrency or batch_size

    def make_env(self) -> gym.Env:
        """A fresh env whose resets pin the task by seed (see the module docstring)."""
        return TaskPinned(gym.make(self.env_id, **self.env_kwargs))

    def opening(self, task: int) -> tuple[dict[str, Any], ...]:
        """The opening messages (system prompt and task) of task ``task``: GRPO's dataset prompt."""
        env = self.make_env()
        try:
            observation, _ = env.reset(seed=task * SEED_STRIDE)
        finally:
            env.close()
        return tuple(dict(m) for m in observation)

    def collect(self, model: Any, tasks: Sequence[int], draws: Sequence[int]) -> list[Sample]:
        """One episode per ``(task, draw)`` pair, sampled from ``model``, in order."""
        from agent_gym.baselines.policies.transformers_lm import TransformersPolicy
        from agent_gym.rollout import build_trajectory
        from agent_gym.rollout.engine import RolloutEngine

        if len(tasks) != len(draws):
            raise ConfigError(f"need one draw per task, got {len(tasks)} tasks and {len(draws)} draws")
        was_training = model.training
        model.eval()
        policy = TransformersPolicy(
            model,
            tokenizer=self.tokenizer,
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            batch_size=self.batch_size,
        )
        engine = RolloutEngine(self.make_env, policy, concurrency=self.concurrency, max_batch=self.batch_size)
        try:
            seeds = [int(t) * SEED_STRIDE + int(d) % SEED_STRIDE for t, d in zip(tasks, draws, strict=True)]
            episodes = engine.run(seeds)
        finally:
            model.train(was_training)
        chat = policy.chat_tokenizer()
        return [Sample(build_trajectory(episode, chat), episode) for episode in episodes]
