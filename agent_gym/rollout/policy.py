"""The Policy protocol: a batch of histories in, a batch of assistant turns out.

Policies that need to know the episode they act in (the oracle reads the gold facts of the reset ``info``; the
human policy greets each new task) also implement :class:`EpisodeAware`. The episode runner (the rollout engine,
each Ray worker's engine, the team runner) gives every episode it plays an :data:`EpisodeId` (from
:func:`new_episode_id`: unique in the process, so two episodes of the same task that run at the same time are two
episodes) and calls, for that id:

* ``start_episode(episode, history, info)`` after ``reset``, with the first observation and the reset ``info``;
* ``act(histories, tools=..., seeds=..., episodes=...)`` with ``episodes[i]`` the id of ``histories[i]``
  (``episodes`` is passed to EpisodeAware policies only; other policies' ``act`` is called as before);
* ``end_episode(episode, history)`` once the episode terminated or was truncated (the id is not used again).

A policy keeps its per-episode state in a dict keyed by the id, never by the prompt text. A streaming policy's
``submit`` is not given the id: a policy that needs it acts in batches. :func:`episode_key` (a history's opening
as canonical JSON) stays for caches keyed by content (prompt-prefix stickiness), not for episode state.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, NewType, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from agent_gym.rollout.chat_tokens import EnvDelta

__all__ = ["EpisodeAware", "EpisodeId", "Policy", "PolicyTurn", "StreamingPolicy", "episode_key", "new_episode_id"]

EpisodeId = NewType("EpisodeId", int)
"""The identity of one played episode, given by the runner that plays it (see the module docstring)."""

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def new_episode_id() -> EpisodeId:
    """A fresh :data:`EpisodeId`, never returned before in this process (thread-safe).

    Example:
        >>> new_episode_id() != new_episode_id()
        True
    """
    with _ids_lock:
        return EpisodeId(next(_ids))


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
    """A policy that needs per-episode context, keyed by :data:`EpisodeId` (see the module docstring)."""

    def start_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...], info: dict[str, Any]) -> None:
        """Called with the first observation and the reset ``info`` before the episode's first ``act``."""
        ...

    def end_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...]) -> None:
        """Called with the final observation once the episode terminated or was truncated."""
        ...

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
        episodes: Sequence[EpisodeId] | None = None,
    ) -> list[PolicyTurn]:
        """As :meth:`Policy.act`; ``episodes[i]`` is the episode of ``histories[i]``."""
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
    """A history's opening messages (those before the first assistant turn), as canonical JSON.

    A content key (two episodes of one task share it): for caches keyed by prompt text; per-episode state is
    keyed by :data:`EpisodeId` instead.

    Example:
        >>> opening = ({"role": "system", "content": "s"}, {"role": "user", "content": "q"})
        >>> episode_key(opening) == episode_key(opening + ({"role": "assistant", "content": "a"},))
        True
    """
    end = next((i for i, m in enumerate(history) if m.get("role") == "assistant"), len(history))
    return json.dumps(list(history[:end]), sort_keys=True, ensure_ascii=False, default=str)
