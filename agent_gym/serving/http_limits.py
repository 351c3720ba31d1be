"""What every agent-gym HTTP server bounds before its app runs: bodies, request heads, bind address, token.

- :class:`BoundedBody` reads a request body within a size and a time limit (413, 408, 422 when not UTF-8).
- :func:`protocol_with_header_timeout` closes connections that do not send a request head in time.
- :class:`BearerToken` lets through only requests (and WebSocket handshakes) with ``Authorization: Bearer <token>``.
- :func:`validation_problems` says what is wrong with a request in a few hundred characters at most.
- :func:`check_bind` refuses to serve beyond loopback without a token.
"""

import asyncio
import hmac
import ipaddress
import json
from typing import Any

from agent_gym.errors import ConfigError

__all__ = [
    "BearerToken",
    "BoundedBody",
    "check_bind",
    "is_loopback",
    "protocol_with_header_timeout",
    "send_json",
    "validation_problems",
]

_MAX_PROBLEMS = 5  # problems listed in a 422 (the rest are counted): 80k extra keys once made a 3.2 MB answer
_MAX_PROBLEM_CHARS = 200  # a field name can be as long as the body


class BoundedBody:
    """ASGI middleware reading the whole body before the app: 413 over ``max_body_bytes`` (declared or streamed),
    408 when it is not all there within ``body_timeout_s``, 422 when it is not UTF-8; then replays it to the app.

    Reading it here keeps these answers short and uniform: FastAPI answers a body that is not UTF-8 with a 400,
    and waits for a body as long as the client keeps the connection open.
    """

    def __init__(self, app: Any, max_body_bytes: int, body_timeout_s: float):
        self.app, self.max_body_bytes, self.body_timeout_s = app, max_body_bytes, body_timeout_s

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_json(send, 413, f"request body of {int(declared)} bytes exceeds the limit of {limit}", close=True)
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.body_timeout_s)
        except TimeoutError:
            detail = (
                f"request body not received within {self.body_timeout_s:g} s; "
                "send all of it (as many bytes as its Content-Length says) without pausing"
            )
            await send_json(send, 408, detail, close=True)
            return
        if body is None:
            return  # the client went away
        if len(body) > limit:
            await send_json(send, 413, f"request body exceeds the limit of {limit} bytes", close=True)
            return
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            detail = f"invalid request to {scope['path']}: body is not UTF-8 (byte {exc.start}); send JSON encoded as UTF-8"
            await send_json(send, 422, detail)
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Any) -> bytes | None:
        """The body, or None when the client went away; stops one chunk past the limit."""
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes or not message.get("more_body", False):
                return body


async def send_json(send: Any, status: int, detail: str, close: bool = False) -> None:
    """Answer ``{"detail": detail}``; ``close`` ends the connection (the rest of the body is never read)."""
    payload = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def protocol_with_header_timeout(timeout_s: float) -> type:
    """uvicorn's h11 protocol, closing a connection that has no complete request head ``timeout_s`` after it opened
    or after its previous response.

    uvicorn bounds only the idle time after a response (``timeout_keep_alive``), and any byte received restarts
    it: a client that connected and sent nothing, or sent its head a byte at a time, held a connection forever.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutProtocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._wait_for_head()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._wait_for_head()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _wait_for_head(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = None if self.transport.is_closing() else self.loop.call_later(timeout_s, self._head_timed_out)

        def _head_timed_out(self) -> None:
            self._head_timer = None
            waiting = self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)
            if waiting and not self.transport.is_closing():  # else a request is being read or answered
                self.transport.close()

    return HeaderTimeoutProtocol


def _clip(text: str, limit: int = _MAX_PROBLEM_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validation_problems(errors: list[dict], skip: int = 1) -> str:
    """The first :data:`_MAX_PROBLEMS` validation errors as ``field: message``, the rest counted.

    ``skip`` leading parts of each error's location are left out (FastAPI's start with ``"body"``).

    Example:
        >>> validation_problems([{"loc": ("body", "k"), "msg": "Input should be an integer"}, {"loc": ("body",), "msg": "x"}])
        'k: Input should be an integer; body: x'
    """
    shown = [_clip(f"{'.'.join(str(p) for p in e['loc'][skip:]) or 'body'}: {e['msg']}") for e in errors[:_MAX_PROBLEMS]]
    if len(errors) > _MAX_PROBLEMS:
        shown.append(f"and {len(errors) - _MAX_PROBLEMS} more")
    return "; ".join(shown)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` serves this machine only.

    Example:
        >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "10.1.2.3")]
        [True, True, True, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None, what: str) -> None:
    """Refuse to bind beyond loopback without a bearer token.

    Raises:
        ConfigError: ``host`` is not loopback and ``token`` is empty.
    """
    if not token and not is_loopback(host):
        raise ConfigError(
            f"{what} on {host} would be reachable from other machines: give a token (--token or $AGENT_GYM_TOKEN) "
            "that clients send as 'Authorization: Bearer <token>', or bind 127.0.0.1"
        )


class BearerToken:
    """ASGI middleware: 401 (HTTP) or a refused handshake (WebSocket) without the right bearer token.

    ``open_paths`` (e.g. ``/health``, for load balancers) need no token. The comparison takes the same time
    whatever the token sent, so it cannot be guessed a character at a time.
    """

    def __init__(self, app: Any, token: str, open_paths: tuple[str, ...] = ("/health",)):
        self.app, self.open_paths = app, open_paths
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"authorization", b"")
        if hmac.compare_digest(sent, self._expected):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect event; closing before accepting refuses the handshake (403)
            await send({"type": "websocket.close", "code": 1008, "reason": "missing or wrong bearer token"})
            return
        await send_json(send, 401, "missing or wrong bearer token: send 'Authorization: Bearer <token>'")
