"""The Policy protocol: a batch of histories in, a batch of assistant turns out.

Policies that need to know the episode they act in (the oracle reads the gold facts of the reset ``info``; the
human policy greets each new task) also implement :class:`EpisodeAware`: the rollout engine calls
``start_episode(history, info)`` after each ``reset`` and ``end_episode(history)`` when the episode is over. They
find an episode again from a history with :func:`episode_key` (its opening: the messages before the first
assistant turn). Two episodes that run at the same time with the same opening look like one task to such a
policy: fine when the opening states the task (a QA question has one gold answer), a documented limit otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agent_gym.rollout.chat_tokens import EnvDelta

__all__ = ["EpisodeAware", "Policy", "PolicyTurn", "StreamingPolicy", "episode_key"]


class PolicyTurn(BaseModel):
    """One generated assistant turn."""

    model_config = ConfigDict(frozen=True)

    text: str
    """The turn's text (the env action when ``message`` is None)."""
    message: dict[str, Any] | None = None
    """An assistant message dict with native ``tool_calls``, for policies that return them (OpenAI servers)."""
    token_ids: tuple[int, ...] | None = None
    """The generated token ids exactly as sampled (token-aware policies only); never re-encoded."""
    logprobs: tuple[float, ...] | None = None
    """Log-probability of each generated token under the sampling policy."""
    prompt_token_ids: tuple[int, ...] | None = None
    """The ids the turn was generated from (the rendered history), when the policy tokenised it."""
    env_delta: EnvDelta | None = None
    """The previous turn's env delta, when the policy built this prompt as the previous prompt, the previous turn's
    ids and this delta: recorded so that the trajectory builder uses these ids rather than computing them again."""
    error: str | None = None
    """Why the policy could not produce a turn (server down, malformed response); ``text`` is then empty."""

    @property
    def action(self) -> str | dict[str, Any]:
        """What to pass to ``env.step``."""
        return self.message if self.message is not None else self.text


@runtime_checkable
class Policy(Protocol):
    """Anything that maps chat histories to assistant turns.

    ``tools`` is the env's OpenAI tool list (``env.unwrapped.tool_schemas``) for policies that pass tools
    natively; ``seeds`` gives one seed per history so sampling is reproducible whatever the batching.
    """

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[PolicyTurn]: ...


@runtime_checkable
class EpisodeAware(Protocol):
    """Optional hooks of a policy that needs per-episode context (see the module docstring)."""

    def start_episode(self, history: tuple[dict[str, Any], ...], info: dict[str, Any]) -> None:
        """Called with the first observation and the reset ``info`` before the episode's first ``act``."""
        ...

    def end_episode(self, history: tuple[dict[str, Any], ...]) -> None:
        """Called with the final observation once the episode terminated or was truncated."""
        ...


@runtime_checkable
class StreamingPolicy(Protocol):
    """Optional: a policy that takes turns one at a time and finishes each as soon as it can.

    When ``streaming`` is true the rollout engine calls ``submit`` for each episode the moment its history is
    ready, instead of gathering a batch for ``act``, so a policy that batches continuously (turns joining and
    leaving between tokens) is never held back by the slowest turn of a batch.
    """

    streaming: bool

    def submit(
        self, history: tuple[dict[str, Any], ...], *, tools: Sequence[dict[str, Any]] | None = None, seed: int = 0
    ) -> Future:
        """Start one turn; the future resolves to its :class:`PolicyTurn` (or raises a ``PolicyError``)."""
        ...


def episode_key(history: Sequence[dict[str, Any]]) -> str:
    """The key of the episode a history belongs to: its opening messages, as canonical JSON.

    Example:
        >>> opening = ({"role": "system", "content": "s"}, {"role": "user", "content": "q"})
        >>> episode_key(opening) == episode_key(opening + ({"role": "assistant", "content": "a"},))
        True
    """
    end = next((i for i, m in enumerate(history) if m.get("role") == "assistant"), len(history))
    return json.dumps(list(history[:end]), sort_keys=True, ensure_ascii=False, default=str)
