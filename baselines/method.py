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

from agent_gym.rollout.policy import PolicyTurn
from agent_gym.tools.formats import action_text
from agent_gym.types import Episode, StepRecord

__all__ = ["Method", "PlayedEpisode", "TaskSpec", "make_episode", "played_episode", "step_record", "turn_tokens"]


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


def turn_tokens(turns: Sequence[PolicyTurn]) -> tuple[int | None, int | None]:
    """Total generated and prompt tokens of some turns; None for a total when any turn did not report it.

    Example:
        >>> turn_tokens([PolicyTurn(text="a", token_ids=(1, 2)), PolicyTurn(text="b", token_ids=(3,))])
        (3, None)
    """
    generated = None if any(t.token_ids is None for t in turns) else sum(len(t.token_ids or ()) for t in turns)
    prompt = None if any(t.prompt_token_ids is None for t in turns) else sum(len(t.prompt_token_ids or ()) for t in turns)
    return generated, prompt


def played_episode(episode: Episode) -> PlayedEpisode:
    """A rollout engine's episode with the policy's cost, read from each step's ``info["policy"]`` record."""
    records = [step.info.get("policy") or {} for step in episode.steps]
    generated = None if any(r.get("token_ids") is None for r in records) else sum(len(r["token_ids"]) for r in records)
    prompt = None if any(r.get("n_prompt_tokens") is None for r in records) else sum(r["n_prompt_tokens"] for r in records)
    return PlayedEpisode(
        episode=episode,
        generated_tokens=generated,
        prompt_tokens=prompt,
        policy_errors=tuple(str(r["error"]) for r in records if r.get("error")),
    )


def step_record(action: Any, reward: float, terminated: bool, truncated: bool, info: dict[str, Any]) -> StepRecord:
    """The :class:`StepRecord` of one ``env.step(action)`` result."""
    return StepRecord(
        turn=int(info.get("turn", 0)),
        action=action_text(action),
        reward=float(reward),
        reward_components=dict(info.get("reward_components", {})),
        terminated=bool(terminated),
        truncated=bool(truncated),
        info=dict(info),
    )


def make_episode(
    env: gym.Env, task: TaskSpec, messages: Sequence[dict[str, Any]], steps: Sequence[StepRecord], reset_info: dict[str, Any]
) -> Episode:
    """The :class:`Episode` of a finished task; outcome metrics come from the last step's ``info["metrics"]``."""
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    metrics = dict(steps[-1].info.get("metrics") or {}) if steps else {}
    return Episode(
        env_id=env_id,
        seed=task.seed,
        task_id=str(reset_info.get("task_id", "")),
        messages=tuple(dict(m) for m in messages),
        steps=tuple(steps),
        reset_info=dict(reset_info),
        metrics={k: float(v) for k, v in metrics.items()},
    )
