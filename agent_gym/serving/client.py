"""``agent-gym/Remote-v0``: an env served by ``agent-gym serve-env`` (or any server of its protocol), as a Gymnasium env.

Example::

    env = gym.make("agent-gym/Remote-v0", url="http://127.0.0.1:8000", env_id="MultiHopQA-v0")
    obs, info = env.reset(seed=0)

Everything above it (``check_env``, the rollout engine, the leaderboard, the trainers) is unchanged: same seed,
options and actions give the same observations, rewards and infos as the local env. One env is one WebSocket
session, opened by the first ``reset``. A server that cannot be reached, refuses a request, stops answering
for ``timeout_s`` or goes away raises :class:`~agent_gym.errors.RemoteEnvError` saying which; the episode is
then lost and the next ``reset`` opens a new session.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from agent_gym.core import AgentEnv
from agent_gym.errors import InvalidActionError, MissingDependency, RemoteEnvError
from agent_gym.serving.protocol import ErrorCode, ObservationData, SpaceBounds
from agent_gym.types import ChatHistory

__all__ = ["RemoteEnv"]

_SESSION_ENDING = {ErrorCode.CAPACITY_REACHED, ErrorCode.FACTORY_ERROR, ErrorCode.SESSION_ERROR}
"""Error codes after which the server has closed the session."""


class RemoteEnv(AgentEnv):
    """A served env, stepped over a WebSocket.

    Args:
        url: The server's base URL (``http://host:port``; ``ws://`` works too).
        env_id: The env the server must be serving (checked against its ``/metadata``); None takes whatever it serves.
        token: Bearer token; defaults to ``$AGENT_GYM_TOKEN``.
        timeout_s: Longest wait for connecting and for each answer; past it the episode is lost.
        render_mode: ``"ansi"``, ``"human"`` or None, as the local env's.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        env_id: str | None = None,
        *,
        token: str | None = None,
        timeout_s: float = 120.0,
        render_mode: str | None = None,
    ):
        self.url = url.rstrip("/").replace("ws://", "http://", 1).replace("wss://", "https://", 1)
        self.timeout_s = float(timeout_s)
        token = token if token is not None else os.environ.get("AGENT_GYM_TOKEN")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        served = self._metadata()
        if env_id is not None and served.get("name") != env_id:
            raise RemoteEnvError(f"{self.url} serves {served.get('name')!r}, not {env_id!r}")
        self.env_id = str(served.get("name"))
        bounds = SpaceBounds.model_validate(served.get("bounds") or {})
        super().__init__(max_action_chars=bounds.max_action_chars, max_messages=bounds.max_messages, render_mode=render_mode)
        self.tool_schemas: list[dict[str, Any]] | None = served.get("tool_schemas")
        """The served env's tools as an OpenAI ``tools=`` list (None when it has none), as a local ToolEnv has them."""
        self._socket: Any = None

    # -- gymnasium API --------------------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[ChatHistory, dict[str, Any]]:
        super().reset(seed=seed)
        if self._socket is None:
            self._connect()
        data = self._call("reset", {"seed": seed, "options": options})
        self._messages = []
        self._episode_over = False
        self._extend(data)
        return self._observation(), data.observation.info

    def step(self, action: str | Mapping[str, Any]) -> tuple[ChatHistory, float, bool, bool, dict[str, Any]]:
        self._check_can_step()
        data = self._call("step", self._wire_action(action))
        self._extend(data)
        observation = data.observation
        self._episode_over = observation.terminated or observation.truncated
        return self._observation(), float(data.reward or 0.0), observation.terminated, observation.truncated, observation.info

    def close(self) -> None:
        """End the session (the server releases its env); calling it again does nothing."""
        super().close()
        if self._socket is not None:
            socket, self._socket = self._socket, None
            try:
                socket.send(json.dumps({"type": "close"}))
            except Exception:  # noqa: BLE001, S110 - the server may already be gone; closing is all that is left
                pass
            socket.close()

    # -- the wire -------------------------------------------------------------------------------------------

    def _metadata(self) -> dict[str, Any]:
        import httpx

        try:
            response = httpx.get(f"{self.url}/metadata", headers=self._headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise RemoteEnvError(f"cannot reach the env server at {self.url}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise RemoteEnvError(f"{self.url}/metadata answered HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    def _connect(self) -> None:
        try:
            from websockets.exceptions import InvalidStatus
            from websockets.sync.client import connect
        except ImportError:
            raise MissingDependency("agent-gym/Remote-v0 needs websockets: pip install 'agent-gym[serve]'") from None
        ws_url = self.url.replace("http", "ws", 1) + "/ws"
        try:
            self._socket = connect(
                ws_url,
                open_timeout=self.timeout_s,
                close_timeout=min(self.timeout_s, 2.0),
                additional_headers=self._headers,
                max_size=None,
                legacy=True,  # the connection outlives this call: it is the env's, closed by close()
            )
        except InvalidStatus as exc:
            hint = " (missing or wrong token: pass token= or set $AGENT_GYM_TOKEN)" if exc.response.status_code == 403 else ""
            raise RemoteEnvError(f"{ws_url} refused the session: HTTP {exc.response.status_code}{hint}") from None
        except (OSError, TimeoutError) as exc:
            raise RemoteEnvError(f"cannot connect to the env server at {ws_url}: {type(exc).__name__}: {exc}") from None

    def _call(self, kind: str, data: dict[str, Any]) -> ObservationData:
        """Send one message and read its answer; any failure loses the session."""
        from websockets.exceptions import ConnectionClosed

        try:
            try:
                self._socket.send(json.dumps({"type": kind, "data": data}, default=_not_json))
            except ConnectionClosed:
                pass  # a server that closed the session (idle, capacity) said why first: read that below
            raw = self._socket.recv(timeout=self.timeout_s)
        except TimeoutError:
            self._lose()
            raise RemoteEnvError(
                f"the env server at {self.url} did not answer a {kind} within {self.timeout_s:g} s; the episode is lost "
                "(reset() opens a new session)"
            ) from None
        except Exception as exc:  # noqa: BLE001 - closed connection, reset, refused: all lose the session
            self._lose()
            raise RemoteEnvError(
                f"the env server at {self.url} went away during a {kind} ({type(exc).__name__}: {exc}); the episode is "
                "lost (reset() opens a new session)"
            ) from None
        reply = json.loads(raw)
        if reply.get("type") == "error":
            error = reply.get("data") or {}
            if error.get("code") in _SESSION_ENDING:
                self._lose()
            raise RemoteEnvError(f"{self.url}: {error.get('code')}: {error.get('message')}")
        return ObservationData.model_validate(reply.get("data"))

    def _lose(self) -> None:
        socket, self._socket = self._socket, None
        self._episode_over = True
        if socket is not None:
            socket.close_socket()  # no closing handshake: the server is gone or out of step

    def _extend(self, data: ObservationData) -> None:
        observation = data.observation
        if observation.offset != len(self._messages):
            self._lose()
            raise RemoteEnvError(
                f"{self.url} sent messages from {observation.offset}, but this client holds {len(self._messages)}"
            )
        self._messages.extend(observation.messages)

    def _wire_action(self, action: Any) -> dict[str, Any]:
        """The action as sent. Text past ``max_action_chars + 1`` is not sent: the env reads only the first
        ``max_action_chars`` characters and whether there were more, so the episode is the same."""
        keep = self.max_action_chars + 1
        if isinstance(action, str):
            return {"text": action[:keep]}
        if not isinstance(action, Mapping):
            raise InvalidActionError(
                f"an action must be a str (the assistant turn) or an assistant message dict, got {type(action).__name__}"
            )
        message = dict(action)
        if isinstance(message.get("content"), str):
            message["content"] = message["content"][:keep]
        return {"message": message}


def _not_json(value: Any) -> str:
    """What a value JSON cannot carry becomes on the wire (the env then sees a string there)."""
    return f"<not JSON: {type(value).__name__}>"
