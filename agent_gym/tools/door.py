"""The door of ``step``: reading an action into its history message without changing anything.

A wrong type is refused here (``InvalidActionError``), before the env's state changes; native ``tool_calls``
are copied as plain, bounded JSON (:mod:`agent_gym.tools.plain_json`), and what does not pass is refused as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_gym.errors import InvalidActionError, NotPlainJSON
from agent_gym.tools.formats import Action
from agent_gym.tools.plain_json import plain_json
from agent_gym.types import ToolFailure

__all__ = ["read_action", "too_many_calls"]


def too_many_calls(cap: int, extra: int) -> ToolFailure:
    """The one failure of a turn with ``extra`` calls past the ``cap``."""
    return ToolFailure(kind="too_many_calls", message=f"at most {cap} calls per turn; {extra} more were not run")


def read_action(
    action: Action, *, max_action_chars: int, max_calls: int
) -> tuple[dict[str, Any], bool, Action, tuple[ToolFailure, ...]]:
    """An action's history message, whether it was cut, the (cut) action to parse, and the native calls refused.

    Raises:
        InvalidActionError: the action is neither a str nor a mapping.
    """
    if isinstance(action, str):
        text = action[:max_action_chars]
        return {"role": "assistant", "content": text}, len(action) > max_action_chars, text, ()
    if not isinstance(action, Mapping):
        raise InvalidActionError(
            f"an action must be a str (the assistant turn) or an assistant message dict, got {type(action).__name__}"
        )
    try:
        content, raw_calls = action.get("content"), action.get("tool_calls")
    except Exception as exc:  # a mapping whose get() raises is not an assistant message
        raise InvalidActionError(f"the action mapping could not be read: {type(exc).__name__}: {exc}") from None
    content = content if isinstance(content, str) else ""
    text = content[:max_action_chars]
    calls, refused = _admit_native_calls(raw_calls, max_calls, max_action_chars)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        # Malformed entries are reported as parse errors; the history keeps the well-shaped ones.
        message["tool_calls"] = [c for c in calls if isinstance(c, dict)]
    to_parse = {"role": "assistant", "content": text, "tool_calls": calls}
    return message, len(content) > max_action_chars, to_parse, refused


def _admit_native_calls(raw_calls: Any, cap: int, max_chars: int) -> tuple[list[Any] | None, tuple[ToolFailure, ...]]:
    """Plain-JSON copies of the first ``cap`` native calls; the refusals, as failures.

    Entries past the cap are not even read (100k calls in one turn once took 30 s and 586 MB).
    """
    if raw_calls is None:
        return None, ()
    if not isinstance(raw_calls, (list, tuple)):
        return None, (ToolFailure(kind="parse_error", message=f'"tool_calls" must be a list, got {type(raw_calls).__name__}'),)
    admitted: list[Any] = []
    refused: list[ToolFailure] = []
    for k in range(min(len(raw_calls), cap)):
        try:
            admitted.append(plain_json(raw_calls[k], max_chars=max_chars))
        except NotPlainJSON as exc:
            refused.append(ToolFailure(kind="invalid_arguments", message=f"tool call {k} {exc}"))
    if len(raw_calls) > cap:
        refused.append(too_many_calls(cap, len(raw_calls) - cap))
    return admitted, tuple(refused)
