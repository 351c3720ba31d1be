"""The env server's wire format: OpenEnv's messages, with agent-gym's action, observation and state inside.

OpenEnv (``openenv.core.env_server.types``) fixes the envelope; this module fixes what goes in it.

- Client to server on ``/ws``: ``{"type": "reset", "data": ResetData}``, ``{"type": "step", "data": RemoteAction}``,
  ``{"type": "state"}``, ``{"type": "close"}``.
- Server to client: ``{"type": "observation", "data": ObservationData}``, ``{"type": "state", "data": EnvState}``
  or ``{"type": "error", "data": {"message": str, "code": ErrorCode}}``.

``ObservationData`` is OpenEnv's ``{"observation": {...}, "reward", "done"}``; its ``observation`` carries the
messages appended since the session's previous observation (all of them after a reset), the offset of the
first one in the history, ``terminated``, ``truncated`` and the step's JSON ``info``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["EnvState", "ErrorCode", "ObservationData", "RemoteAction", "RemoteObservation", "ResetData", "SpaceBounds"]


class ErrorCode(StrEnum):
    """The ``code`` of an error message (OpenEnv's ``WSErrorCode`` values)."""

    INVALID_JSON = "INVALID_JSON"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    EXECUTION_ERROR = "EXECUTION_ERROR"
    CAPACITY_REACHED = "CAPACITY_REACHED"
    FACTORY_ERROR = "FACTORY_ERROR"
    SESSION_ERROR = "SESSION_ERROR"


class RemoteAction(BaseModel):
    """One assistant turn: its text, or an assistant message dict (with native ``tool_calls``)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    """The turn as text (what ``env.step(str)`` takes)."""
    message: dict[str, Any] | None = None
    """The turn as an assistant message dict (what ``env.step(dict)`` takes)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """OpenEnv's per-action metadata; accepted and not used."""

    @model_validator(mode="after")
    def _one_of(self) -> RemoteAction:
        if (self.text is None) == (self.message is None):
            raise ValueError('give exactly one of "text" (the turn as a string) and "message" (an assistant message dict)')
        return self

    def to_action(self) -> str | dict[str, Any]:
        """What ``env.step`` takes."""
        return self.text if self.text is not None else dict(self.message or {})


class ResetData(BaseModel):
    """The ``data`` of a reset: what ``env.reset`` takes, plus OpenEnv's episode id."""

    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(None, ge=0)
    """``env.reset(seed=...)``; None continues the session's random stream."""
    options: dict[str, Any] | None = None
    """``env.reset(options=...)``, e.g. ``{"index": 3}`` (the task)."""
    episode_id: str | None = Field(None, max_length=255)
    """A name for the episode, reported back in the state; defaults to ``"<session>:<n>"``."""


class RemoteObservation(BaseModel):
    """The ``observation`` part of an observation message."""

    model_config = ConfigDict(frozen=True)

    messages: list[dict[str, Any]]
    """Messages appended to the history since the previous observation (after a reset: all of them)."""
    offset: int = Field(ge=0)
    """Index of ``messages[0]`` in the history (0 after a reset)."""
    terminated: bool = False
    """The task ended."""
    truncated: bool = False
    """A limit ended the episode."""
    info: dict[str, Any] = Field(default_factory=dict)
    """The ``info`` dict of the reset or step."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """OpenEnv's observation metadata (empty)."""


class ObservationData(BaseModel):
    """The ``data`` of an observation message (OpenEnv's serialised observation)."""

    model_config = ConfigDict(frozen=True)

    observation: RemoteObservation
    """What the step did to the history."""
    reward: float | None = None
    """The step's reward; None after a reset."""
    done: bool = False
    """``terminated or truncated``."""


class EnvState(BaseModel):
    """The ``data`` of a state message (OpenEnv's ``State``: ``episode_id`` and ``step_count``, plus ours)."""

    model_config = ConfigDict(frozen=True)

    episode_id: str | None = None
    """The current episode's id; None before the first reset."""
    step_count: int = Field(0, ge=0)
    """Steps taken in the current episode."""
    env_id: str
    """The served env's registered id."""
    done: bool = True
    """Whether the episode is over (or never started): a step now needs a reset first."""
    history: list[dict[str, Any]] = Field(default_factory=list)
    """The whole history so far."""


class SpaceBounds(BaseModel):
    """What a client needs to build the served env's spaces (served in ``/metadata``)."""

    model_config = ConfigDict(frozen=True)

    max_action_chars: int = Field(ge=1)
    """The action space's ``max_length``."""
    max_messages: int = Field(ge=1)
    """The observation space's ``max_messages``."""
