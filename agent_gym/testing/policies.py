"""Scripted policies for tests: deterministic, stateless, safe under any batching or concurrency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent_gym.rollout.policy import PolicyTurn

__all__ = ["FunctionPolicy", "ScriptedPolicy"]

History = tuple[dict[str, Any], ...]


class ScriptedPolicy:
    """Plays a fixed list of turns: the k-th assistant turn of every episode is ``turns[k]``.

    The turn index is read from the history itself, so one instance serves any number of episodes at once.
    Past the end of the script it repeats the last turn.
    """

    def __init__(self, turns: Sequence[str | dict[str, Any]]):
        if not turns:
            raise ValueError("ScriptedPolicy needs at least one turn")
        self.turns = list(turns)

    def act(self, histories: Sequence[History], *, tools: Any = None, seeds: Any = None) -> list[PolicyTurn]:
        return [_as_turn(self.turns[min(_assistant_turns(h), len(self.turns) - 1)]) for h in histories]


class FunctionPolicy:
    """A policy from a function ``history -> turn`` (a str or an assistant message dict)."""

    def __init__(self, fn: Callable[[History], str | dict[str, Any]]):
        self.fn = fn

    def act(self, histories: Sequence[History], *, tools: Any = None, seeds: Any = None) -> list[PolicyTurn]:
        return [_as_turn(self.fn(h)) for h in histories]


def _assistant_turns(history: History) -> int:
    return sum(1 for message in history if message.get("role") == "assistant")


def _as_turn(turn: str | dict[str, Any]) -> PolicyTurn:
    if isinstance(turn, str):
        return PolicyTurn(text=turn)
    return PolicyTurn(text=turn.get("content") or "", message=dict(turn))
