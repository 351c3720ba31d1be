"""What an env server does with its envs: session slots, worker threads, and the conversation of one WebSocket.

:class:`EnvService` is the server without its web framework: :func:`agent_gym.serving.server.create_app` routes
requests to it. Env calls block (tool latency, retrieval), so they run on worker threads, each bounded by
``step_timeout_s``; a session is a loop of OpenEnv messages (:mod:`agent_gym.serving.protocol`) answered in order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gymnasium as gym
from pydantic import BaseModel, ValidationError

from agent_gym.serving.http_limits import validation_problems
from agent_gym.serving.protocol import ErrorCode, ObservationData, RemoteAction, ResetData
from agent_gym.serving.session import EnvSession

__all__ = ["EnvService"]


class EnvService:
    """The envs of one server.

    Args:
        env_id: The served env's name (in states and errors).
        make_env: Makes one env instance.
        max_sessions: WebSocket sessions at once.
        idle_timeout_s: A session silent this long is closed.
        step_timeout_s: Longest env call; past it the session is closed.
        max_message_bytes: Largest accepted message.
    """

    def __init__(
        self,
        env_id: str,
        make_env: Callable[[], gym.Env],
        *,
        max_sessions: int,
        idle_timeout_s: float,
        step_timeout_s: float,
        max_message_bytes: int,
    ):
        self.env_id, self.make_env = env_id, make_env
        self.max_sessions, self.active = max_sessions, 0  # touched from the event loop only
        self.idle_timeout_s, self.step_timeout_s, self.max_message_bytes = idle_timeout_s, step_timeout_s, max_message_bytes
        # One thread per session, and a few for the stateless HTTP routes.
        self._workers = ThreadPoolExecutor(max_workers=max_sessions + 4, thread_name_prefix="env-server")
        self._session_ids = itertools.count(1)

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on a worker thread; ``TimeoutError`` past ``step_timeout_s`` (the thread is abandoned)."""
        return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(self._workers, fn, *args), self.step_timeout_s)

    def stateless(self, reset: ResetData, action: RemoteAction | None) -> ObservationData:
        """OpenEnv's stateless routes: a fresh env, reset, stepped once if ``action``; the whole history (blocking)."""
        session = EnvSession(self.make_env(), self.env_id, "http")
        try:
            first = session.reset(reset)
            if action is None:
                return first
            stepped = session.step(action)
            whole = stepped.observation.model_copy(update={"messages": session.state().history, "offset": 0})
            return stepped.model_copy(update={"observation": whole})
        finally:
            session.close()

    async def converse(self, socket: Any) -> None:
        """Serve one accepted WebSocket: a slot, an env, then its messages until it closes, idles or gets stuck."""
        if self.active >= self.max_sessions:
            message = f"the server is at capacity ({self.max_sessions} sessions); retry later or start another server"
            counts = {"active_sessions": self.active, "max_sessions": self.max_sessions}
            try:
                await self._send(socket, _error(ErrorCode.CAPACITY_REACHED, message, **counts))
                # 1013 (try again later) with the code in the reason: a client that reads only the close frame knows why
                await asyncio.wait_for(
                    socket.close(code=1013, reason=f"CAPACITY_REACHED: {self.max_sessions} sessions"), self.idle_timeout_s
                )
            except (TimeoutError, _SendTimeout):
                pass
            return
        self.active += 1
        session: EnvSession | None = None
        stuck = False
        try:
            try:
                session = EnvSession(await self.in_thread(self.make_env), self.env_id, f"session-{next(self._session_ids)}")
            except Exception as exc:  # noqa: BLE001 - reported to the client, which cannot go on
                await self._send(
                    socket, _error(ErrorCode.FACTORY_ERROR, f"cannot make {self.env_id}: {type(exc).__name__}: {exc}")
                )
                return
            stuck = await self._answer(socket, session)
        except _SendTimeout:  # the client stopped reading: its slot is freed and the connection dropped
            pass
        finally:
            self.active -= 1
            if session is not None and not stuck:
                try:
                    self._workers.submit(session.close)
                except RuntimeError:  # the server is shutting down; the process ends with its envs
                    pass

    async def _send(self, socket: Any, reply: dict[str, Any]) -> None:
        """Send ``reply``; :class:`_SendTimeout` when the client has not taken it within ``idle_timeout_s`` (a client
        that sends but never reads would otherwise hold its slot for as long as the kernel buffers stay full)."""
        try:
            await asyncio.wait_for(socket.send_text(_encode(reply)), self.idle_timeout_s)
        except TimeoutError:
            raise _SendTimeout from None

    def shutdown(self) -> None:
        """Stop the worker threads (envs still running are abandoned)."""
        self._workers.shutdown(wait=False, cancel_futures=True)

    async def _answer(self, socket: Any, session: EnvSession) -> bool:
        """Answer the session's messages until it closes, goes idle or an env call times out (then True: stuck)."""
        while True:
            try:
                event = await asyncio.wait_for(socket.receive(), self.idle_timeout_s)
            except TimeoutError:
                detail = f"no message for {self.idle_timeout_s:g} s: session closed"
                await self._send(socket, _error(ErrorCode.SESSION_ERROR, detail))
                return False
            if event["type"] == "websocket.disconnect":
                return False
            raw = event.get("text") if event.get("text") is not None else (event.get("bytes") or b"").decode("utf-8", "replace")
            if len(raw.encode("utf-8", "surrogatepass")) > self.max_message_bytes:
                detail = f"message over the limit of {self.max_message_bytes} bytes"
                await self._send(socket, _error(ErrorCode.VALIDATION_ERROR, detail))
                continue
            try:
                message = json.loads(raw)
                kind = message.get("type") if isinstance(message, dict) else None
            except (ValueError, RecursionError) as exc:
                await self._send(socket, _error(ErrorCode.INVALID_JSON, f"invalid JSON: {exc}"))
                continue
            if kind == "close":
                return False
            try:
                reply = await self._reply(session, kind, message)
            except TimeoutError:
                detail = f"the env took longer than {self.step_timeout_s:g} s on {kind}: session closed (its env may be stuck)"
                await self._send(socket, _error(ErrorCode.SESSION_ERROR, detail))
                return True
            await self._send(socket, reply)

    async def _reply(self, session: EnvSession, kind: Any, message: dict[str, Any]) -> dict[str, Any]:
        """The answer to one message (``TimeoutError`` when its env call overran)."""
        try:
            if kind == "reset":
                data = await self.in_thread(session.reset, ResetData.model_validate(message.get("data") or {}))
                return {"type": "observation", "data": data}
            if kind == "step":
                data = await self.in_thread(session.step, RemoteAction.model_validate(message.get("data")))
                return {"type": "observation", "data": data}
            if kind == "state":
                return {"type": "state", "data": session.state()}
            return _error(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}; expected reset, step, state or close")
        except ValidationError as exc:
            return _error(ErrorCode.VALIDATION_ERROR, f"invalid {kind} data: {validation_problems(exc.errors(), skip=0)}")
        except TimeoutError:
            raise
        except Exception as exc:  # noqa: BLE001 - an env failure is reported; the session goes on
            return _error(ErrorCode.EXECUTION_ERROR, f"{type(exc).__name__}: {exc}")


class _SendTimeout(Exception):
    """A reply was not taken by the client within the idle timeout."""


def _error(code: ErrorCode, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "data": {"message": message, "code": code.value, **extra}}


def _encode(reply: dict[str, Any]) -> str:
    data = reply["data"]
    if isinstance(data, BaseModel):
        reply = {**reply, "data": data.model_dump()}
    # ASCII escapes: a lone surrogate in a model's text survives the trip (UTF-8 cannot carry it).
    return json.dumps(reply)
