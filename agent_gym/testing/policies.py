"""ScriptedPolicy: turns from a fixed script or a function of the history, for fixtures, tests and benchmarks.

Deterministic and stateless: the turn index is read from the history itself, so one instance serves any number
of episodes at once, under any batching or concurrency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agent_gym.rollout.policy import PolicyTurn
from agent_gym.tools.formats import Action
from agent_gym.types import ChatHistory

__all__ = ["FunctionPolicy", "Script", "ScriptedPolicy", "assistant_turns"]

Script = Sequence[Action] | Callable[[ChatHistory, int], Action]
"""A list of actions (turn ``t`` plays entry ``t``, the last one repeats) or ``fn(history, seed) -> action``."""


def assistant_turns(history: Sequence[Mapping[str, Any]]) -> int:
    """How many assistant turns a history holds (the 0-based index of the next turn).

    Example:
        >>> assistant_turns([{"role": "user"}, {"role": "assistant"}, {"role": "tool"}])
        1
    """
    return sum(1 for message in history if message.get("role") == "assistant")


class ScriptedPolicy:
    """A policy that plays a script.

    Args:
        script: The actions (a str or an assistant message dict each), or a function of ``(history, seed)``;
            a function draws any randomness from ``numpy.random.default_rng(seed)`` so episodes stay
            reproducible.

    Example:
        >>> policy = ScriptedPolicy(["<answer>42</answer>"])
        >>> policy.act([({"role": "user", "content": "?"},)])[0].text
        '<answer>42</answer>'
    """

    def __init__(self, script: Script):
        if not callable(script) and not list(script):
            raise ValueError("a ScriptedPolicy needs at least one action, or a function (history, seed) -> action")
        self.script = script if callable(script) else list(script)

    def act(
        self,
        histories: Sequence[ChatHistory],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[PolicyTurn]:
        seeds = list(seeds) if seeds is not None else [0] * len(histories)
        return [_turn(self._action(history, seed)) for history, seed in zip(histories, seeds, strict=True)]

    def _action(self, history: ChatHistory, seed: int) -> Action:
        if callable(self.script):
            return self.script(history, seed)
        return self.script[min(assistant_turns(history), len(self.script) - 1)]


class FunctionPolicy(ScriptedPolicy):
    """A :class:`ScriptedPolicy` of a function of the history alone: ``fn(history) -> action``.

    Example:
        >>> FunctionPolicy(lambda history: f"<answer>{len(history)}</answer>").act([({"role": "user"},)])[0].text
        '<answer>1</answer>'
    """

    def __init__(self, fn: Callable[[ChatHistory], Action]):
        super().__init__(lambda history, seed: fn(history))


def _turn(action: Action) -> PolicyTurn:
    if isinstance(action, str):
        return PolicyTurn(text=action)
    content = action.get("content")
    return PolicyTurn(text=content if isinstance(content, str) else "", message=dict(action))
