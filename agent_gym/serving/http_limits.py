"""What every agent-gym HTTP server bounds before its app runs: bodies, request heads, bind address, token.

- :class:`BoundedBody` reads a request body within a size and a time limit (413, 408, 422 when not UTF-8).
- :func:`protocol_with_header_timeout` closes connections that do not send a request head in time.
- :class:`BearerToken` lets through only requests (and WebSocket handshakes) with ``Authorization: Bearer <token>``.
- :func:`validation_problems` says what is wrong with a request in a few hundred characters at most.
- :class:`HostOrigin` refuses requests whose ``Host`` or ``Origin`` names another site (DNS rebinding, web pages).
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
    "HostOrigin",
    "add_origin_arguments",
    "check_bind",
    "host_checks",
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
        self._expected = token.encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        scheme, _, sent = dict(scope.get("headers") or []).get(b"authorization", b"").strip().partition(b" ")
        # The scheme is case-insensitive (RFC 7235): "bearer" is "Bearer".
        if hmac.compare_digest(sent.strip(), self._expected) and scheme.lower() == b"bearer":
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect event; closing before accepting refuses the handshake (403)
            await send({"type": "websocket.close", "code": 1008, "reason": "missing or wrong bearer token"})
            return
        await send_json(send, 401, "missing or wrong bearer token: send 'Authorization: Bearer <token>'")


_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _hostname(value: str) -> str:
    """The host of a ``Host`` header or an origin, lower case, without scheme, port or IPv6 brackets.

    Example:
        >>> [_hostname(v) for v in ("LocalHost:8000", "http://[::1]:80", "https://evil.example", "127.0.0.1")]
        ['localhost', '::1', 'evil.example', '127.0.0.1']
    """
    rest = value.strip().lower().split("://", 1)[-1].split("/", 1)[0]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.rsplit(":", 1)[0] if rest.count(":") == 1 else rest


def _is_local(name: str) -> bool:
    return name in _LOOPBACK_NAMES or name.endswith(".localhost") or is_loopback(name)


class HostOrigin:
    """ASGI middleware: 403 (HTTP) or a refused handshake (WebSocket, 1008) when the ``Host`` or ``Origin`` header
    names a host that is neither loopback nor allowed.

    A web page in a browser on the serving machine can reach a loopback server: its WebSocket handshakes carry
    the page's ``Origin``, and a DNS-rebound name arrives as a foreign ``Host``. Requests without these headers
    (command-line and library clients send no ``Origin``) pass.

    Args:
        app: The ASGI app.
        allowed_hosts: Host names accepted in ``Host`` besides loopback ones; ``"*"`` accepts any (a server
            bound beyond loopback, where clients use whatever name reaches it; the token guards it).
        allowed_origins: Origins' host names accepted besides loopback ones; ``"*"`` accepts any.
    """

    def __init__(self, app: Any, allowed_hosts: tuple[str, ...] = (), allowed_origins: tuple[str, ...] = ()):
        self.app = app
        self.allowed_hosts = frozenset(_hostname(h) if h != "*" else h for h in allowed_hosts)
        self.allowed_origins = frozenset(_hostname(o) if o != "*" else o for o in allowed_origins)

    def _refusal(self, headers: dict[bytes, bytes]) -> str | None:
        host, origin = headers.get(b"host"), headers.get(b"origin")
        if host is not None and "*" not in self.allowed_hosts:
            name = _hostname(host.decode("latin-1"))
            if not _is_local(name) and name not in self.allowed_hosts:
                return f"Host {name!r} is not served here: allow it with --allow-host {name}"
        if origin is not None and "*" not in self.allowed_origins:
            text = origin.decode("latin-1")
            name = _hostname(text)
            if text.strip().lower() == "null" or (not _is_local(name) and name not in self.allowed_origins):
                return f"Origin {text[:100]!r} is not allowed: allow it with --allow-origin {name or text[:100]}"
        return None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(dict(scope.get("headers") or []))
        if refusal is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect event; closing before accepting refuses the handshake (403)
            await send({"type": "websocket.close", "code": 1008, "reason": refusal[:120]})
            return
        await send_json(send, 403, refusal)


def host_checks(bind: str, allowed_hosts: tuple[str, ...]) -> tuple[str, ...]:
    """The ``Host`` names a server bound on ``bind`` accepts besides loopback ones: ``allowed_hosts`` if any were
    given; else, beyond loopback, any (``"*"``) and, on loopback, none.

    Example:
        >>> host_checks("127.0.0.1", ()), host_checks("0.0.0.0", ()), host_checks("0.0.0.0", ("gpu1",))
        ((), ('*',), ('gpu1',))
    """
    if allowed_hosts:
        return tuple(allowed_hosts)
    return () if is_loopback(bind) else ("*",)


def add_origin_arguments(parser: Any) -> None:
    """``--allow-host`` and ``--allow-origin`` (repeatable) on a server command's ``argparse`` parser."""
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name served besides loopback ones ('*': any; default: loopback only when bound to loopback, any otherwise)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="HOST",
        help="a browser Origin's host accepted besides loopback ones ('*': any); requests without Origin always pass",
    )
