"""The env server: any registered env over OpenEnv's protocol (FastAPI on uvicorn), one env per WebSocket session.

Routes, as OpenEnv defines them (the messages are in :mod:`agent_gym.serving.protocol`):

- ``/ws`` (WebSocket): a session with its own env instance; ``reset``, ``step``, ``state`` and ``close`` messages.
- ``POST /reset`` and ``POST /step``: stateless, a fresh env per request. ``/step`` takes
  ``{"action": RemoteAction, "seed": int, "options": {...}}``, resets the fresh env with that seed and options,
  steps it once and answers the whole history (there is no episode to continue without a session).
- ``GET /state`` (a fresh env's state), ``/health``, ``/schema`` (JSON schemas of action, observation and
  state) and ``/metadata`` (the env's id and description, and its space bounds for clients).

Bounds (:class:`EnvServerLimits`): at most ``max_sessions`` sessions (one more gets OpenEnv's
``CAPACITY_REACHED`` error and is closed), a session silent for ``idle_timeout_s`` is closed, a message over
``max_message_bytes`` gets an error (far over it, the connection is closed), an env call that takes longer than
``step_timeout_s`` closes its session (its env may be stuck) or answers 504. HTTP bodies and request heads are
bounded as the retrieval server's are. A token, when given, is required on every route but ``/health``;
:func:`serve` refuses to bind beyond loopback without one.
"""

import asyncio
import itertools
import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any  # no `from __future__ import annotations`: FastAPI reads these hints at run time

import gymnasium as gym
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_gym.errors import AgentGymError, ConfigError
from agent_gym.serving.http_limits import (
    BearerToken,
    BoundedBody,
    check_bind,
    protocol_with_header_timeout,
    validation_problems,
)
from agent_gym.serving.protocol import (
    EnvState,
    ErrorCode,
    ObservationData,
    RemoteAction,
    ResetData,
    SpaceBounds,
)
from agent_gym.serving.session import EnvSession

__all__ = ["EnvServerLimits", "create_app", "serve"]


class EnvServerLimits(BaseModel):
    """How many sessions, how long, how large: the bounds of one env server."""

    model_config = ConfigDict(frozen=True)

    max_sessions: int = Field(8, ge=1)
    """WebSocket sessions (env instances) at once; OpenEnv's ``max_concurrent_envs``."""
    idle_timeout_s: float = Field(300.0, gt=0)
    """A session that sends nothing for this long is closed and its env released."""
    step_timeout_s: float = Field(60.0, gt=0)
    """Longest env call (make, reset, step); past it the session is closed (its env may be stuck)."""
    max_message_bytes: int = Field(1 << 20, ge=1024)
    """Largest accepted WebSocket message or HTTP body."""
    header_timeout_s: float = Field(10.0, gt=0)
    """Longest wait for a complete HTTP request head."""
    body_timeout_s: float = Field(10.0, gt=0)
    """Longest wait for a whole HTTP body once its head has arrived."""


class _StepRequest(BaseModel):
    """``POST /step``: OpenEnv's ``StepRequest`` with the reset of the fresh env alongside."""

    model_config = ConfigDict(extra="forbid")

    action: RemoteAction
    seed: int | None = Field(None, ge=0)
    options: dict[str, Any] | None = None
    timeout_s: float | None = Field(None, gt=0)
    request_id: str | None = Field(None, max_length=255)


class _Capacity:
    """Session slots; used from the event loop only, so a counter is enough."""

    def __init__(self, limit: int):
        self.limit, self.active = limit, 0

    def take(self) -> bool:
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def give_back(self) -> None:
        self.active -= 1


def create_app(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    limits: EnvServerLimits | None = None,
    token: str | None = None,
    make_env: Callable[[], gym.Env] | None = None,
) -> Any:
    """An ASGI app serving ``env_id`` (made with ``env_kwargs``) within ``limits``.

    Args:
        env_id: The env's name in ``/metadata`` and the state; made with ``gym.make`` unless ``make_env`` is given.
        env_kwargs: Its constructor arguments (reported in ``/metadata``).
        limits: The bounds; None uses the defaults of :class:`EnvServerLimits`.
        token: Bearer token required on every route but ``/health``; None for none.
        make_env: Makes one env for a session (e.g. a user's own ``module:Class``); None is
            ``gym.make(env_id, **env_kwargs)``.

    Raises:
        ConfigError: the env cannot be made (checked once here, so a bad id fails at start-up).
    """
    from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.websockets import WebSocketState

    from agent_gym import __version__
    from agent_gym.registry import registered_envs

    limits = limits or EnvServerLimits()
    kwargs = dict(env_kwargs or {})

    make_env = make_env or (lambda: gym.make(env_id, **kwargs))

    try:
        probe = make_env()
    except Exception as exc:  # noqa: BLE001 - any failure to make the env is a configuration problem
        raise ConfigError(f"cannot make {env_id!r} with {kwargs}: {type(exc).__name__}: {exc}") from exc
    bounds = SpaceBounds(max_action_chars=probe.action_space.max_length, max_messages=probe.observation_space.max_messages)
    tool_schemas = getattr(probe.unwrapped, "tool_schemas", None)  # what native-tool policies and chat templates need
    probe.close()
    metadata = {
        "name": env_id,
        "description": registered_envs().get(env_id, ""),
        "version": __version__,
        "readme_content": None,
        "author": None,
        "documentation_url": None,
        "env_kwargs": kwargs,
        "bounds": bounds.model_dump(),
        "tool_schemas": tool_schemas,
    }
    # Env calls block (tool latency, retrieval), so they run on threads: one per session, a few for HTTP.
    workers = ThreadPoolExecutor(max_workers=limits.max_sessions + 4, thread_name_prefix="env-server")
    capacity = _Capacity(limits.max_sessions)
    session_ids = itertools.count(1)

    async def in_thread(fn: Any, *args: Any) -> Any:
        return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(workers, fn, *args), limits.step_timeout_s)

    app = FastAPI(title=f"agent-gym env server: {env_id}", docs_url=None, redoc_url=None, openapi_url=None)
    app.router.on_shutdown.append(lambda: workers.shutdown(wait=False, cancel_futures=True))

    @app.exception_handler(RequestValidationError)
    async def readable_422(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = f"invalid request to {request.url.path}: {validation_problems(exc.errors())}"
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "healthy"}

    @app.get("/metadata")
    def get_metadata() -> dict[str, Any]:
        return metadata

    @app.get("/schema")
    def get_schema() -> dict[str, Any]:
        return {
            "action": RemoteAction.model_json_schema(),
            "observation": ObservationData.model_json_schema(),
            "state": EnvState.model_json_schema(),
        }

    @app.get("/state")
    def get_state() -> dict[str, Any]:
        return EnvState(env_id=env_id).model_dump()

    async def stateless(reset: ResetData, action: RemoteAction | None) -> dict[str, Any]:
        def run() -> ObservationData:
            session = EnvSession(make_env(), env_id, "http")
            try:
                first = session.reset(reset)
                if action is None:
                    return first
                stepped = session.step(action)
                whole = stepped.observation.model_copy(update={"messages": session.state().history, "offset": 0})
                return stepped.model_copy(update={"observation": whole})
            finally:
                session.close()

        try:
            return (await in_thread(run)).model_dump()
        except TimeoutError:
            raise HTTPException(504, f"the env took longer than {limits.step_timeout_s:g} s") from None
        except AgentGymError as exc:
            raise HTTPException(400, f"{type(exc).__name__}: {exc}") from None

    @app.post("/reset")
    async def reset(request: ResetData | None = None) -> dict[str, Any]:
        return await stateless(request or ResetData(), None)

    @app.post("/step")
    async def step(request: _StepRequest) -> dict[str, Any]:
        return await stateless(ResetData(seed=request.seed, options=request.options), request.action)

    @app.websocket("/ws")
    async def websocket(socket: WebSocket) -> None:
        await socket.accept()
        if not capacity.take():
            message = f"the server is at capacity ({capacity.limit} sessions); retry later or start another server"
            await _send(
                socket, _error(ErrorCode.CAPACITY_REACHED, message, active_sessions=capacity.active, max_sessions=capacity.limit)
            )
            await socket.close(code=1013)
            return
        session: EnvSession | None = None
        stuck = False
        try:
            try:
                session = EnvSession(await in_thread(make_env), env_id, f"session-{next(session_ids)}")
            except Exception as exc:  # noqa: BLE001 - reported to the client, which cannot go on
                await _send(socket, _error(ErrorCode.FACTORY_ERROR, f"cannot make {env_id}: {type(exc).__name__}: {exc}"))
                return
            stuck = await _serve_session(socket, session, limits, in_thread)
        except WebSocketDisconnect:  # the client went away while being answered
            pass
        finally:
            capacity.give_back()
            if session is not None and not stuck:
                try:
                    workers.submit(session.close)
                except RuntimeError:  # the server is shutting down; the process ends with its envs
                    pass
            if socket.application_state == WebSocketState.CONNECTED and socket.client_state == WebSocketState.CONNECTED:
                try:
                    await socket.close()
                except (RuntimeError, WebSocketDisconnect):  # it went away meanwhile
                    pass

    bounded = BoundedBody(app, limits.max_message_bytes, limits.body_timeout_s)
    return BearerToken(bounded, token) if token else bounded


async def _serve_session(socket: Any, session: EnvSession, limits: EnvServerLimits, in_thread: Any) -> bool:
    """Answer the session's messages until it closes, goes idle or an env call times out (then True: stuck)."""
    while True:
        try:
            event = await asyncio.wait_for(socket.receive(), limits.idle_timeout_s)
        except TimeoutError:
            await _send(socket, _error(ErrorCode.SESSION_ERROR, f"no message for {limits.idle_timeout_s:g} s: session closed"))
            return False
        if event["type"] == "websocket.disconnect":
            return False
        raw = event.get("text") if event.get("text") is not None else (event.get("bytes") or b"").decode("utf-8", "replace")
        if len(raw.encode("utf-8", "surrogatepass")) > limits.max_message_bytes:
            await _send(socket, _error(ErrorCode.VALIDATION_ERROR, f"message over the limit of {limits.max_message_bytes} bytes"))
            continue
        try:
            message = json.loads(raw)
            kind = message.get("type") if isinstance(message, dict) else None
        except (ValueError, RecursionError) as exc:
            await _send(socket, _error(ErrorCode.INVALID_JSON, f"invalid JSON: {exc}"))
            continue
        if kind == "close":
            return False
        try:
            if kind == "reset":
                data = await in_thread(session.reset, ResetData.model_validate(message.get("data") or {}))
                reply = {"type": "observation", "data": data}
            elif kind == "step":
                data = await in_thread(session.step, RemoteAction.model_validate(message.get("data")))
                reply = {"type": "observation", "data": data}
            elif kind == "state":
                reply = {"type": "state", "data": session.state()}
            else:
                reply = _error(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}; expected reset, step, state or close")
        except ValidationError as exc:
            reply = _error(ErrorCode.VALIDATION_ERROR, f"invalid {kind} data: {validation_problems(exc.errors(), skip=0)}")
        except TimeoutError:
            detail = f"the env took longer than {limits.step_timeout_s:g} s on {kind}: session closed (its env may be stuck)"
            await _send(socket, _error(ErrorCode.SESSION_ERROR, detail))
            return True
        except Exception as exc:  # noqa: BLE001 - an env failure is reported; the session goes on
            reply = _error(ErrorCode.EXECUTION_ERROR, f"{type(exc).__name__}: {exc}")
        await _send(socket, reply)


def _error(code: ErrorCode, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "data": {"message": message, "code": code.value, **extra}}


async def _send(socket: Any, reply: dict[str, Any]) -> None:
    data = reply["data"]
    if isinstance(data, BaseModel):
        reply = {**reply, "data": data.model_dump()}
    # ASCII escapes: a lone surrogate in a model's text survives the trip (UTF-8 cannot carry it).
    await socket.send_text(json.dumps(reply))


def serve(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: EnvServerLimits | None = None,
    token: str | None = None,
    log_level: str = "warning",
    make_env: Callable[[], gym.Env] | None = None,
) -> None:
    """Serve ``env_id`` until interrupted (loopback unless ``host`` says otherwise, which needs ``token``).

    Raises:
        ConfigError: a non-loopback ``host`` without a token, or an env that cannot be made.
    """
    import uvicorn

    check_bind(host, token, f"serving {env_id}")
    limits = limits or EnvServerLimits()
    # The event loop waits for the GIL while an env call runs on a worker thread: at Python's default switch
    # interval (5 ms) a CPU-bound step (BM25) delayed every answer by milliseconds. This process is the server's own.
    sys.setswitchinterval(0.0005)
    uvicorn.run(
        create_app(env_id, env_kwargs, limits, token, make_env),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        http=protocol_with_header_timeout(limits.header_timeout_s),
        # Messages far over the limit are cut off by the protocol; those just over it get a readable error.
        ws_max_size=4 * limits.max_message_bytes,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
    )
