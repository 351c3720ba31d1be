"""ScriptedPolicy: turns from a fixed script or a function of the history and the turn's seed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agent_gym.rollout.policy import PolicyTurn
from agent_gym.tools.formats import Action

__all__ = ["ScriptedPolicy", "assistant_turns"]

Script = Sequence[Action] | Callable[[tuple[dict[str, Any], ...], int], Action]
"""A list of actions (turn ``t`` plays entry ``t``, the last one repeats) or ``fn(history, seed) -> action``."""


def assistant_turns(history: Sequence[Mapping[str, Any]]) -> int:
    """How many assistant turns a history holds (the 0-based index of the next turn).

    Example:
        >>> assistant_turns([{"role": "user"}, {"role": "assistant"}, {"role": "tool"}])
        1
    """
    return sum(1 for message in history if message.get("role") == "assistant")


class ScriptedPolicy:
    """A policy that plays a script: for fixtures, plumbing tests and benchmarks.

    Args:
        script: The actions, or a function of ``(history, seed)``; draw any randomness from
            ``numpy.random.default_rng(seed)`` so episodes stay reproducible.

    Example:
        >>> policy = ScriptedPolicy(["<answer>42</answer>"])
        >>> policy.act([({"role": "user", "content": "?"},)])[0].text
        '<answer>42</answer>'
    """

    def __init__(self, script: Script):
        if not callable(script) and not list(script):
            raise ValueError("a ScriptedPolicy needs at least one action, or a function (history, seed) -> action")
        self.script = script

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[PolicyTurn]:
        seeds = list(seeds) if seeds is not None else [0] * len(histories)
        return [_turn(self._action(history, seed)) for history, seed in zip(histories, seeds, strict=True)]

    def _action(self, history: tuple[dict[str, Any], ...], seed: int) -> Action:
        if callable(self.script):
            return self.script(history, seed)
        script = list(self.script)
        return script[min(assistant_turns(history), len(script) - 1)]


def _turn(action: Action) -> PolicyTurn:
    if isinstance(action, str):
        return PolicyTurn(text=action)
    content = action.get("content")
    return PolicyTurn(text=content if isinstance(content, str) else "", message=dict(action))
