"""Training rollouts: episodes sampled from the model being trained, as TokenTrajectory, for every trainer.

Which task an episode plays and which seed it samples with are separate (see :mod:`agent_gym.rollout.tasks`):
each episode is reset with ``options={"index": task}`` and with its own sampling seed, so GRPO's draws of one
task differ and PPO's seeds depend only on the training step. Envs opt in by honouring ``options["index"]``
in ``sample_task`` (the key-value and QA envs do).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import gymnasium as gym

from agent_gym.errors import ConfigError
from agent_gym.rollout.tasks import TaskPlan
from agent_gym.rollout.trajectory import TokenTrajectory
from agent_gym.types import Episode

__all__ = ["Sample", "TrainingRollouts"]


class Sample(NamedTuple):
    """One training episode."""

    trajectory: TokenTrajectory
    """The episode in tokens (exact generated ids, env deltas, loss mask, per-turn rewards)."""
    episode: Episode
    """The episode record (messages, steps, metrics)."""


class TrainingRollouts:
    """Collects episodes of a task plan's env from an in-memory causal LM with the rollout engine.

    Args:
        plan: The env, its split and its ``gym.make`` arguments (:meth:`TaskPlan.for_env`).
        tokenizer: The model's tokenizer (with its chat template).
        max_new_tokens: Generation budget per turn.
        temperature: Sampling temperature (training samples, so > 0).
        batch_size: Most histories per generation batch.
        concurrency: Env instances stepping at once (default ``batch_size``, so every generation batch is full).
    """

    def __init__(
        self,
        plan: TaskPlan,
        tokenizer: Any,
        *,
        max_new_tokens: int = 64,
        temperature: float = 1.0,
        batch_size: int = 8,
        concurrency: int | None = None,
    ):
        if temperature <= 0:
            raise ConfigError(f"training rollouts must sample: temperature must be > 0, got {temperature}")
        self.plan = plan
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.batch_size = batch_size
        self.concurrency = concurrency or batch_size
        self._openings: dict[int, tuple[dict[str, Any], ...]] = {}

    @property
    def env_id(self) -> str:
        return self.plan.env_id

    def make_env(self) -> gym.Env:
        """A fresh env of the plan's split."""
        return self.plan.make_env()

    def opening(self, task: int) -> tuple[dict[str, Any], ...]:
        """The opening messages (system prompt and task) of task ``task``: GRPO's dataset prompt."""
        if task not in self._openings:
            env = self.make_env()
            try:
                observation, _ = env.reset(seed=0, options=self.plan.ref(task).reset_options())
            finally:
                env.close()
            self._openings[task] = tuple(dict(m) for m in observation)
        return self._openings[task]

    def collect(self, model: Any, tasks: Sequence[int], seeds: Sequence[int]) -> list[Sample]:
        """One episode per ``(task, sampling seed)`` pair, sampled from ``model``, in order."""
        from agent_gym.baselines.policies.transformers_lm import TransformersPolicy
        from agent_gym.rollout import build_trajectory
        from agent_gym.rollout.engine import RolloutEngine

        if len(tasks) != len(seeds):
            raise ConfigError(f"need one sampling seed per task, got {len(tasks)} tasks and {len(seeds)} seeds")
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
            options = [self.plan.ref(int(t)).reset_options() for t in tasks]
            episodes = engine.run([int(s) for s in seeds], options=options)
        finally:
            model.train(was_training)
        chat = policy.chat_tokenizer()
        return [Sample(build_trajectory(episode, chat), episode) for episode in episodes]
