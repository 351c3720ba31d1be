"""HumanPolicy: a person types the turns (``agent-gym play`` uses it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent_gym.rollout.policy import EpisodeId, PolicyTurn

__all__ = ["HumanPolicy"]


class HumanPolicy:
    """Shows each history's new messages and reads the turn from the terminal.

    A turn is every line typed up to the first empty line (so tool calls can span lines); end of input gives a
    policy error turn. Histories of a batch are asked one after the other.

    Args:
        input_fn: Reads one line (``input`` by default; raises EOFError at end of input).
        output_fn: Shows text (``print`` by default).
    """

    def __init__(self, input_fn: Callable[[str], str] = input, output_fn: Callable[[str], None] = print):
        self.input_fn = input_fn
        self.output_fn = output_fn
        self._shown: dict[EpisodeId | None, int] = {}

    def start_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...], info: dict[str, Any]) -> None:
        self._shown[episode] = 0
        self.output_fn(f"=== new episode ({info.get('task_id', '')}); tools: {', '.join(info.get('tools', []))}")

    def end_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...]) -> None:
        self._show(history, self._shown.pop(episode, 0))
        self.output_fn("=== episode over")

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
        episodes: Sequence[EpisodeId] | None = None,
    ) -> list[PolicyTurn]:
        keys = list(episodes) if episodes is not None else [None] * len(histories)
        return [self._ask(key, history) for key, history in zip(keys, histories, strict=True)]

    def _ask(self, key: EpisodeId | None, history: tuple[dict[str, Any], ...]) -> PolicyTurn:
        self._show(history, self._shown.get(key, 0))
        self._shown[key] = len(history) + 1  # the turn typed now is not echoed back
        lines: list[str] = []
        try:
            while True:
                line = self.input_fn("> " if not lines else ". ")
                if not line.strip():
                    if lines:
                        break
                    continue
                lines.append(line)
        except EOFError:
            if not lines:
                return PolicyTurn(text="", error="end of input: no turn was typed")
        return PolicyTurn(text="\n".join(lines))

    def _show(self, history: tuple[dict[str, Any], ...], start: int) -> None:
        for message in history[start:]:
            self.output_fn(_show_message(message))


def _show_message(message: dict[str, Any]) -> str:
    head = str(message.get("role", "?")).upper() + (f" ({message['name']})" if message.get("name") else "")
    body = str(message.get("content") or "")
    for call in message.get("tool_calls") or ():
        function = call.get("function", {}) if isinstance(call, dict) else {}
        body += f"\n-> {function.get('name')}({function.get('arguments')})"
    return f"[{head}]\n{body}"
