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
bounded as the retrieval server's are. A reply the client does not take within ``idle_timeout_s`` closes its
session (a client that sends but never reads cannot hold a slot); a refusal for capacity closes with 1013 and a
reason starting ``CAPACITY_REACHED``. A ``Host`` or ``Origin`` naming neither loopback nor an allowed host is refused
(:class:`~agent_gym.serving.http_limits.HostOrigin`: 403, or a handshake closed with 1008). A token, when given, is
required on every route but ``/health``; :func:`serve` refuses to bind beyond loopback without one.
"""

import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any  # no `from __future__ import annotations`: FastAPI reads these hints at run time

import gymnasium as gym
from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import AgentGymError, ConfigError
from agent_gym.serving.http_limits import (
    BearerToken,
    BoundedBody,
    HostOrigin,
    check_bind,
    host_checks,
    protocol_with_header_timeout,
    validation_problems,
)
from agent_gym.serving.protocol import (
    EnvState,
    ObservationData,
    RemoteAction,
    ResetData,
    SpaceBounds,
)
from agent_gym.serving.service import EnvService

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


def create_app(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    limits: EnvServerLimits | None = None,
    token: str | None = None,
    make_env: Callable[[], gym.Env] | None = None,
    allowed_hosts: tuple[str, ...] = ("*",),
    allowed_origins: tuple[str, ...] = (),
) -> Any:
    """An ASGI app serving ``env_id`` (made with ``env_kwargs``) within ``limits``.

    Args:
        env_id: The env's name in ``/metadata`` and the state; made with ``gym.make`` unless ``make_env`` is given.
        env_kwargs: Its constructor arguments (reported in ``/metadata``).
        limits: The bounds; None uses the defaults of :class:`EnvServerLimits`.
        token: Bearer token required on every route but ``/health``; None for none.
        make_env: Makes one env for a session (e.g. a user's own ``module:Class``); None is
            ``gym.make(env_id, **env_kwargs)``.
        allowed_hosts: ``Host`` names served besides loopback ones (``"*"``, the default here: any; :func:`serve` checks it).
        allowed_origins: ``Origin`` host names accepted besides loopback ones (``"*"``: any).

    Raises:
        ConfigError: the env cannot be made (checked once here, so a bad id fails at start-up).
    """
    from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.websockets import WebSocketState

    limits = limits or EnvServerLimits()
    kwargs = dict(env_kwargs or {})

    make_env = make_env or (lambda: gym.make(env_id, **kwargs))
    metadata = _metadata(env_id, kwargs, make_env)
    service = EnvService(
        env_id,
        make_env,
        max_sessions=limits.max_sessions,
        idle_timeout_s=limits.idle_timeout_s,
        step_timeout_s=limits.step_timeout_s,
        max_message_bytes=limits.max_message_bytes,
    )

    app = FastAPI(title=f"agent-gym env server: {env_id}", docs_url=None, redoc_url=None, openapi_url=None)
    app.router.on_shutdown.append(service.shutdown)

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
        try:
            return (await service.in_thread(service.stateless, reset, action)).model_dump()
        except TimeoutError:
            raise HTTPException(504, f"the env took longer than {limits.step_timeout_s:g} s") from None
        except AgentGymError as exc:
            raise HTTPException(400, f"{type(exc).__name__}: {exc}") from None

    @app.post("/reset")
    async def reset(request: ResetData | None = None) -> dict[str, Any]:
        return await stateless(request or ResetData(), None)

    @app.post("/step")
    async def step(request: _StepRequest) -> dict[str, Any]:
        try:  # a lone surrogate ("\\ud800" in the JSON) is valid JSON but no text: refused before the env sees it
            json.dumps(request.action.model_dump(), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            where = f"U+{ord(exc.object[exc.start]):04X}"
            detail = f"invalid request to /step: the action holds a lone surrogate ({where}); send valid Unicode"
            raise HTTPException(422, detail) from None
        return await stateless(ResetData(seed=request.seed, options=request.options), request.action)

    @app.websocket("/ws")
    async def websocket(socket: WebSocket) -> None:
        await socket.accept()
        try:
            await service.converse(socket)
        except WebSocketDisconnect:  # the client went away while being answered
            pass
        finally:
            if socket.application_state == WebSocketState.CONNECTED and socket.client_state == WebSocketState.CONNECTED:
                try:  # bounded: a client that stopped reading may never take the close frame either
                    await asyncio.wait_for(socket.close(), limits.idle_timeout_s)
                except (RuntimeError, WebSocketDisconnect, TimeoutError):  # it went away meanwhile
                    pass

    bounded = BoundedBody(app, limits.max_message_bytes, limits.body_timeout_s)
    return HostOrigin(BearerToken(bounded, token) if token else bounded, allowed_hosts, allowed_origins)


def _metadata(env_id: str, kwargs: dict[str, Any], make_env: Callable[[], gym.Env]) -> dict[str, Any]:
    """``/metadata``: OpenEnv's fields, the env's arguments, and what a client needs to build its spaces and tools.

    Makes (and closes) one env, so an env that cannot be made fails at start-up.
    """
    from agent_gym import __version__
    from agent_gym.registry import registered_envs

    try:
        probe = make_env()
    except Exception as exc:  # noqa: BLE001 - any failure to make the env is a configuration problem
        raise ConfigError(f"cannot make {env_id!r} with {kwargs}: {type(exc).__name__}: {exc}") from exc
    bounds = SpaceBounds(max_action_chars=probe.action_space.max_length, max_messages=probe.observation_space.max_messages)
    tool_schemas = getattr(probe.unwrapped, "tool_schemas", None)  # what native-tool policies and chat templates need
    probe.close()
    return {
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
    allowed_hosts: tuple[str, ...] = (),
    allowed_origins: tuple[str, ...] = (),
) -> None:
    """Serve ``env_id`` until interrupted (loopback unless ``host`` says otherwise, which needs ``token``).

    ``allowed_hosts`` and ``allowed_origins`` are as for :func:`create_app`; bound beyond loopback with none
    given, any ``Host`` is served (clients name the machine as they reach it; the token guards it).

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
        create_app(env_id, env_kwargs, limits, token, make_env, host_checks(host, allowed_hosts), allowed_origins),
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
