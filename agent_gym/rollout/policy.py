"""The Policy protocol: a batch of histories in, a batch of assistant turns out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

__all__ = ["Policy", "PolicyTurn"]


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
