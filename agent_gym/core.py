"""AgentEnv: the Gymnasium base class of every text-native agent environment.

The state of the extended MDP is the whole interaction history; the observation *is* that history, a
tuple of chat-message dicts that only ever grows (each observation extends the previous one, which is
what token-level rollouts rely on). The action is one assistant turn. Subclasses (see
:class:`agent_gym.tools.env.ToolEnv`) decide what a turn does.
"""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

import gymnasium as gym

from agent_gym.errors import ResetNeeded
from agent_gym.spaces import AssistantTurn, History
from agent_gym.types import ChatHistory

__all__ = ["AgentEnv"]


class AgentEnv(gym.Env[ChatHistory, str]):
    """A text-native Gymnasium env whose observation is the append-only chat history.

    Subclasses implement ``reset`` (calling ``super().reset(seed=seed)`` and :meth:`_start`) and ``step``
    (calling :meth:`_append` and returning :meth:`_observation`).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"], "render_fps": 1}
    observation_space: History  # the history so far
    action_space: AssistantTurn  # one assistant turn: any str, or an assistant message dict

    def __init__(self, *, max_action_chars: int = 8192, max_messages: int = 512, render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.max_action_chars = max_action_chars
        # Assistant messages hold up to max_action_chars; env-written messages are clipped to the same bound.
        self.observation_space = History(max_messages=max_messages, max_content_length=max(1 << 20, max_action_chars))
        self.action_space = AssistantTurn(max_length=max_action_chars)
        self._messages: list[dict[str, Any]] = []
        self._episode_over = True

    # -- history --------------------------------------------------------------------------------------------

    def _start(self, messages: list[dict[str, Any]]) -> None:
        """Begin a new episode with these opening messages."""
        self._messages = []
        self._episode_over = False
        for message in messages:
            self._append(message)

    def _append(self, message: dict[str, Any]) -> None:
        # A JSON round trip both copies the message and proves it serialisable.
        self._messages.append(json.loads(json.dumps(message, ensure_ascii=False)))

    def _observation(self) -> ChatHistory:
        # Copies, so that a caller mutating an observation cannot rewrite the env's history.
        return tuple(copy.deepcopy(self._messages))

    def _check_can_step(self) -> None:
        if self._episode_over:
            raise ResetNeeded("the episode is over (or never started); call env.reset() before env.step()")

    @property
    def history(self) -> ChatHistory:
        """The current history (same as the last observation)."""
        return self._observation()

    # -- gymnasium API --------------------------------------------------------------------------------------

    def render(self) -> str | None:
        text = "\n\n".join(_render_message(m) for m in self._messages)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        """Release resources; calling it again does nothing, and ``reset`` may follow."""
        self._episode_over = True


def _render_message(message: dict[str, Any]) -> str:
    head = message["role"].upper() + (f" ({message['name']})" if message.get("name") else "")
    body = message.get("content") or ""
    for call in message.get("tool_calls") or ():
        function = call.get("function", {})
        body += f"\n-> {function.get('name')}({function.get('arguments')})"
    return f"[{head}]\n{body}"
