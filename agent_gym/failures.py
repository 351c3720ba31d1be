"""The failure boundary: how a tool call can fail, who is to blame, and which exception means which kind.

A failing call is data, not a crash (STYLE 7): it becomes a :class:`ToolFailure` inside the step's
:class:`~agent_gym.types.ToolResult` and ``info["errors"]``. This module is the one place that names the kinds,
classifies an exception raised while a tool ran, and assigns the blame that reward components
(``invalid_call``, ``tool_error``) and the leaderboard (``invalid_calls``) count. To add a kind, add it to
:data:`FailureKind` and :data:`BLAME` here; everything else follows.

==================  ======  ================================================================
kind                blame   when
==================  ======  ================================================================
parse_error         policy  the turn's tool-call syntax could not be read
unknown_tool        policy  the named tool does not exist
invalid_arguments   policy  arguments do not match the tool's schema (or the tool rejected them)
too_many_calls      policy  more calls in one turn than the env allows
tool_exception      tool    the tool raised (its own bug, or a bad return type)
timeout             tool    the tool did not finish in time
unavailable         tool    the tool's backend could not be reached (also injected by noise)
==================  ======  ================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from types import MappingProxyType
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from agent_gym.errors import NotPlainJSON, RetrievalError, ToolArgumentError

__all__ = ["BLAME", "Blame", "FailureKind", "ToolFailure", "blame_of", "failure_from_exception"]

FailureKind = Literal[
    "parse_error", "unknown_tool", "invalid_arguments", "too_many_calls", "tool_exception", "timeout", "unavailable"
]
"""Category of a failed call, stable across versions (stored episodes and reward components key on it)."""

Blame = Literal["policy", "tool"]
"""Whose fault a failure is: the policy wrote a call that cannot run, or a valid call failed while running."""

BLAME: Mapping[FailureKind, Blame] = MappingProxyType(
    {
        "parse_error": "policy",
        "unknown_tool": "policy",
        "invalid_arguments": "policy",
        "too_many_calls": "policy",
        "tool_exception": "tool",
        "timeout": "tool",
        "unavailable": "tool",
    }
)
"""The blame of every kind (the table in the module docstring)."""

assert set(BLAME) == set(get_args(FailureKind)), "every FailureKind needs a blame"  # internal invariant


class ToolFailure(BaseModel):
    """Why a tool call produced no usable result: a bad call is data, not a crash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FailureKind
    """Category, stable across versions (reward components key on it)."""
    message: str
    """Human-readable detail, shown to the model in the tool message."""

    @property
    def blame(self) -> Blame:
        """Whose fault this is (:data:`BLAME`)."""
        return BLAME[self.kind]


def blame_of(kind: str) -> Blame | None:
    """The blame of a kind as stored (``info["errors"][i]["kind"]``); None for a kind this version does not know.

    Example:
        >>> blame_of("unknown_tool"), blame_of("timeout"), blame_of("no_such_kind")
        ('policy', 'tool', None)
    """
    return BLAME.get(kind)  # type: ignore[call-overload]


def failure_from_exception(exc: BaseException, *, tool: str, timeout_s: float | None = None) -> ToolFailure:
    """The failure an exception raised while running ``tool`` stands for.

    ``ToolArgumentError`` (the tool rejected its arguments) and ``NotPlainJSON`` are the policy's fault; a timeout,
    an unreachable backend (``ConnectionError``, ``RetrievalError``) and anything else the tool raised are the tool's.

    Example:
        >>> failure_from_exception(ConnectionRefusedError("port 8000"), tool="search").kind
        'unavailable'
        >>> failure_from_exception(KeyError("x"), tool="search").message
        "KeyError: 'x'"
    """
    if isinstance(exc, (ToolArgumentError, NotPlainJSON)):
        return ToolFailure(kind="invalid_arguments", message=str(exc))
    if isinstance(exc, FutureTimeout):
        return ToolFailure(kind="timeout", message=f"{tool} did not finish within {timeout_s} s")
    if isinstance(exc, (ConnectionError, RetrievalError)):
        return ToolFailure(kind="unavailable", message=f"{tool} could not reach its backend: {exc}")
    return ToolFailure(kind="tool_exception", message=f"{type(exc).__name__}: {exc}")
