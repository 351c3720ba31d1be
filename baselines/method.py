"""What a leaderboard method is: something that plays a batch of tasks of an env and yields finished episodes.

:class:`Method` is the protocol Naive RAG, Base Tool Call and any policy-in-the-env method share;
:class:`PlayedEpisode` is what each finished task yields: the env's :class:`~agent_gym.types.Episode` plus what
the policy reported about its cost (generated tokens, failed turns), which the env cannot know.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
from pydantic import BaseModel, ConfigDict

from agent_gym.types import Episode, PolicyRecord

__all__ = ["Method", "PlayedEpisode", "TaskSpec", "played_episode"]


class TaskSpec(BaseModel):
    """One task to play: how to reset the env for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    """Seed passed to ``env.reset`` (and to the policy, so sampling is reproducible)."""
    options: dict[str, Any] = {}
    """Options passed to ``env.reset``, e.g. ``{"index": 3}`` for the fourth question."""


class PlayedEpisode(BaseModel):
    """A finished episode and the policy's side of its cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    episode: Episode
    """The env's record of the episode (steps, infos, outcome metrics)."""
    generated_tokens: int | None = None
    """Tokens the policy generated over all turns; None when the policy does not report token ids."""
    prompt_tokens: int | None = None
    """Tokens of the prompts the policy read over all turns; None when not reported."""
    policy_errors: tuple[str, ...] = ()
    """Turns the policy failed to produce (server down, malformed response), as their messages."""


@runtime_checkable
class Method(Protocol):
    """A way of answering an env's tasks with a policy (Naive RAG, Base Tool Call, ...)."""

    name: str
    """Short display name, e.g. ``"Naive RAG"``."""

    def play(self, envs: Sequence[gym.Env], tasks: Sequence[TaskSpec]) -> Iterator[tuple[int, PlayedEpisode]]:
        """Play every task on the pool ``envs`` (an env plays one task at a time), yielding ``(i, episode)`` as
        ``tasks[i]`` finishes."""
        ...


def played_episode(episode: Episode) -> PlayedEpisode:
    """An episode with the policy's cost, read from each step's :class:`~agent_gym.types.PolicyRecord`.

    Example:
        >>> from agent_gym.types import PolicyRecord, StepRecord
        >>> step = StepRecord(turn=1, action="a", reward=0.0, reward_components={}, terminated=True, truncated=False,
        ...                   policy=PolicyRecord(token_ids=(1, 2), n_prompt_tokens=7))
        >>> played = played_episode(Episode(env_id="X-v0", seed=0, messages=(), steps=(step,)))
        >>> played.generated_tokens, played.prompt_tokens, played.policy_errors
        (2, 7, ())
    """
    records = [step.policy or PolicyRecord() for step in episode.steps]
    generated = None if any(r.token_ids is None for r in records) else sum(len(r.token_ids or ()) for r in records)
    prompt = None if any(r.n_prompt_tokens is None for r in records) else sum(r.n_prompt_tokens or 0 for r in records)
    return PlayedEpisode(
        episode=episode,
        generated_tokens=generated,
        prompt_tokens=prompt,
        policy_errors=tuple(r.error for r in records if r.error),
    )
