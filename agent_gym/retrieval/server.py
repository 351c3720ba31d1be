"""The retrieval server: any :class:`~agent_gym.retrieval.base.Retriever` over HTTP (FastAPI on uvicorn).

Endpoints: ``GET /health``; ``POST /retrieve`` in Search-R1's format (:mod:`agent_gym.retrieval.search_r1`),
which :class:`~agent_gym.retrieval.remote.HttpRetriever` speaks; and agent-gym's first protocol, ``POST /search``
``{"query", "k"}`` -> ``{"passages": [...]}`` and ``POST /batch_search`` ``{"queries", "k"}`` -> ``{"results": [...]}``.
Requests are bounded (:class:`ServerLimits`): bodies over ``max_body_bytes`` get 413, bodies not received within
``body_timeout_s`` 408, bodies that are not UTF-8 and queries over ``max_query_chars``, batches over
``max_batch``, ``k`` over ``max_k`` or of another type than an integer 422, each with a message that says the
limit, and at most a few KB long however many fields are wrong. A connection that has not sent a complete request
head within ``header_timeout_s`` is closed. ``/docs``, ``/redoc`` and ``/openapi.json`` are served only on request
(``docs=True``). FastAPI and uvicorn are imported only when an app is created.
"""

import asyncio
import json
from typing import Annotated, Any  # no `from __future__ import annotations`: FastAPI reads these hints at run time

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import RetrievalError
from agent_gym.retrieval.base import MAX_QUERY_CHARS, Retriever
from agent_gym.retrieval.search_r1 import search_r1_hits

__all__ = ["ServerLimits", "ServerProcess", "create_app", "serve"]

_MAX_PROBLEMS = 5  # problems listed in a 422 (the rest are counted): 80k extra keys once made a 3.2 MB answer
_MAX_PROBLEM_CHARS = 200  # a field name can be as long as the body


class ServerLimits(BaseModel):
    """Bounds on what one request may ask and how long a client may hold a connection."""

    model_config = ConfigDict(frozen=True)

    max_query_chars: int = Field(MAX_QUERY_CHARS, ge=1)
    """Longest accepted query."""
    max_batch: int = Field(256, ge=1)
    """Most queries in one ``/batch_search``."""
    max_k: int = Field(100, ge=1)
    """Most passages per query."""
    max_body_bytes: int = Field(1_000_000, ge=1)
    """Largest accepted request body."""
    header_timeout_s: float = Field(10.0, gt=0)
    """Longest wait for a complete request head, from the connection's opening or the previous response; then
    the connection is closed. Counts from the start, so a client trickling a byte at a time is cut off too."""
    body_timeout_s: float = Field(10.0, gt=0)
    """Longest wait for the whole body once the head has arrived (a body shorter than its ``Content-Length``
    never arrives); then 408 and the connection is closed."""
    keep_alive_s: float = Field(5.0, gt=0)
    """How long an idle connection is kept for its next request (uvicorn's ``timeout_keep_alive``)."""


class _BoundedBody:
    """ASGI middleware reading the whole body before the app: 413 over ``max_body_bytes`` (declared or streamed),
    408 when it is not all there within ``body_timeout_s``, 422 when it is not UTF-8; then replays it to the app.

    Reading it here keeps these answers short and uniform: FastAPI answers a body that is not UTF-8 with a 400,
    and waits for a body as long as the client keeps the connection open.
    """

    def __init__(self, app: Any, limits: ServerLimits):
        self.app, self.limits = app, limits

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_json(send, 413, f"request body of {int(declared)} bytes exceeds the limit of {limit}", close=True)
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.limits.body_timeout_s)
        except TimeoutError:
            detail = (
                f"request body not received within {self.limits.body_timeout_s:g} s; "
                "send all of it (as many bytes as its Content-Length says) without pausing"
            )
            await _send_json(send, 408, detail, close=True)
            return
        if body is None:
            return  # the client went away
        if len(body) > limit:
            await _send_json(send, 413, f"request body exceeds the limit of {limit} bytes", close=True)
            return
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            detail = f"invalid request to {scope['path']}: body is not UTF-8 (byte {exc.start}); send JSON encoded as UTF-8"
            await _send_json(send, 422, detail)
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
            if len(body) > self.limits.max_body_bytes or not message.get("more_body", False):
                return body


async def _send_json(send: Any, status: int, detail: str, close: bool = False) -> None:
    """Answer ``{"detail": detail}``; ``close`` ends the connection (the rest of the body is never read)."""
    payload = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _clip(text: str, limit: int = _MAX_PROBLEM_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _problems(errors: list[dict]) -> str:
    """The first :data:`_MAX_PROBLEMS` validation errors as ``field: message``, the rest counted.

    Example:
        >>> _problems([{"loc": ("body", "k"), "msg": "Input should be a valid integer"}, {"loc": ("body",), "msg": "x"}])
        'k: Input should be a valid integer; body: x'
    """
    shown = [_clip(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}") for e in errors[:_MAX_PROBLEMS]]
    if len(errors) > _MAX_PROBLEMS:
        shown.append(f"and {len(errors) - _MAX_PROBLEMS} more")
    return "; ".join(shown)


def create_app(retriever: Retriever, limits: ServerLimits | None = None, description: str = "", docs: bool = False) -> Any:
    """A FastAPI app serving ``retriever`` within ``limits``.

    Args:
        retriever: The backend.
        limits: Request bounds; None uses the defaults of :class:`ServerLimits`.
        description: Shown in the OpenAPI page; defaults to ``repr(retriever)``.
        docs: Serve ``/docs``, ``/redoc`` and ``/openapi.json`` (off: they describe the server to anyone who reaches it).
    """
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    limits = limits or ServerLimits()
    Query = Annotated[str, Field(max_length=limits.max_query_chars)]
    K = Annotated[int, Field(ge=1, le=limits.max_k)]

    class SearchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)  # strict: "5", 5.0 and true are not a k
        query: Query
        k: K = 5

    class BatchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        queries: Annotated[list[Query], Field(max_length=limits.max_batch)]
        k: K = 5

    class RetrieveRequest(BaseModel):  # Search-R1's QueryRequest, bounded like the others
        model_config = ConfigDict(extra="forbid", strict=True)
        queries: Annotated[list[Query], Field(max_length=limits.max_batch)]
        topk: K | None = None
        return_scores: bool = False

    app = FastAPI(
        title="agent-gym retriever",
        description=description or repr(retriever),
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )

    @app.exception_handler(RequestValidationError)
    async def readable_422(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": f"invalid request to {request.url.path}: {_problems(exc.errors())}"}
        )

    def run(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except RetrievalError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    @app.get("/health")
    def health() -> dict[str, Any]:
        corpus = getattr(retriever, "corpus", None)
        return {"status": "ok", "retriever": repr(retriever), "passages": len(corpus) if corpus is not None else None}

    @app.post("/search")
    def search(request: SearchRequest) -> dict[str, Any]:
        passages = run(retriever.search, request.query, request.k)
        return {"passages": [p.model_dump() for p in passages]}

    @app.post("/batch_search")
    def batch_search(request: BatchRequest) -> dict[str, Any]:
        results = run(retriever.batch_search, request.queries, request.k)
        return {"results": [[p.model_dump() for p in passages] for passages in results]}

    @app.post("/retrieve")
    def retrieve(request: RetrieveRequest) -> dict[str, Any]:
        results = run(retriever.batch_search, request.queries, request.topk or 3)  # Search-R1's default topk
        return {"result": [search_r1_hits(passages, request.return_scores) for passages in results]}

    return _BoundedBody(app, limits)


def _protocol_with_header_timeout(timeout_s: float) -> type:
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


def serve(
    retriever: Retriever,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServerLimits | None = None,
    log_level: str = "warning",
    docs: bool = False,
) -> None:
    """Serve ``retriever`` until interrupted (binds loopback unless ``host`` says otherwise).

    Args:
        retriever: The backend.
        host: Interface to bind.
        port: Port to bind.
        limits: Request and connection bounds; None uses the defaults of :class:`ServerLimits`.
        log_level: uvicorn's log level.
        docs: Serve ``/docs``, ``/redoc`` and ``/openapi.json``.
    """
    import uvicorn

    limits = limits or ServerLimits()
    uvicorn.run(
        create_app(retriever, limits, docs=docs),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        http=_protocol_with_header_timeout(limits.header_timeout_s),
        timeout_keep_alive=limits.keep_alive_s,
    )


class ServerProcess:
    """``agent-gym serve-retriever`` in a child process on loopback (tests, benchmarks, notebooks).

    Args:
        args: Extra command-line arguments (e.g. ``["--dataset", "musique"]``).
        port: Port to bind; 0 picks a free one.
        env: Extra environment variables of the child (e.g. ``{"AGENT_GYM_CACHE": ...}``).
        startup_timeout_s: How long :meth:`start` waits for ``/health``.

    Example::

        with ServerProcess(["--dataset", "musique"]) as server:
            env = gym.make("MuSiQue-v0", retriever=server.url)
    """

    def __init__(
        self, args: list[str] | None = None, port: int = 0, env: dict[str, str] | None = None, startup_timeout_s: float = 60.0
    ):
        import socket

        if port == 0:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port, self.args, self.extra_env, self.startup_timeout_s = port, list(args or []), dict(env or {}), startup_timeout_s
        self.url = f"http://127.0.0.1:{port}"
        self.process: Any = None

    def start(self) -> "ServerProcess":
        """Start the child and wait until ``/health`` answers (raises RetrievalError if it does not)."""
        import os
        import subprocess
        import sys
        import time

        import httpx

        command = [sys.executable, "-m", "agent_gym.cli.main", "serve-retriever", "--port", str(self.port), *self.args]
        environment = {**os.environ, **self.extra_env}
        self.process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stderr.read().decode(errors="replace")[-500:]
                raise RetrievalError(f"the retrieval server exited with {self.process.returncode}: {output}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RetrievalError(f"the retrieval server on {self.url} did not become healthy within {self.startup_timeout_s} s")

    def stop(self) -> None:
        """Kill the child (as a crash would) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
