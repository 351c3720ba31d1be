"""The retrieval server: any :class:`~agent_gym.retrieval.base.Retriever` over HTTP (FastAPI on uvicorn).

Endpoints: ``GET /health``, ``POST /search`` and ``POST /batch_search`` (see :mod:`agent_gym.retrieval.remote`
for the protocol). Requests are bounded: bodies over ``max_body_bytes`` get 413, queries over
``max_query_chars``, batches over ``max_batch`` and ``k`` over ``max_k`` get 422, each with a message that
says the limit. FastAPI is imported only when an app is created.
"""

import json
from typing import Annotated, Any  # no `from __future__ import annotations`: FastAPI reads these hints at run time

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import RetrievalError
from agent_gym.retrieval.base import MAX_QUERY_CHARS, Retriever

__all__ = ["ServerLimits", "ServerProcess", "create_app", "serve"]


class ServerLimits(BaseModel):
    """Bounds on what one request may ask."""

    model_config = ConfigDict(frozen=True)

    max_query_chars: int = Field(MAX_QUERY_CHARS, ge=1)
    """Longest accepted query."""
    max_batch: int = Field(256, ge=1)
    """Most queries in one ``/batch_search``."""
    max_k: int = Field(100, ge=1)
    """Most passages per query."""
    max_body_bytes: int = Field(1_000_000, ge=1)
    """Largest accepted request body."""


class _BodyLimit:
    """ASGI middleware answering 413 to bodies larger than ``limit`` bytes (declared or streamed)."""

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_json(send, 413, {"detail": f"request body of {int(declared)} bytes exceeds the limit of {self.limit}"})
            return
        body = b""  # read (at most limit + 1 chunk) before the app sees it, then replay it
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.limit:
                await _send_json(send, 413, {"detail": f"request body exceeds the limit of {self.limit} bytes"})
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _send_json(send: Any, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def create_app(retriever: Retriever, limits: ServerLimits | None = None, description: str = "") -> Any:
    """A FastAPI app serving ``retriever`` within ``limits``."""
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    limits = limits or ServerLimits()
    Query = Annotated[str, Field(max_length=limits.max_query_chars)]
    K = Annotated[int, Field(ge=1, le=limits.max_k)]

    class SearchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        query: Query
        k: K = 5

    class BatchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        queries: Annotated[list[Query], Field(max_length=limits.max_batch)]
        k: K = 5

    app = FastAPI(title="agent-gym retriever", description=description or repr(retriever))

    @app.exception_handler(RequestValidationError)
    async def readable_422(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        return JSONResponse(status_code=422, content={"detail": f"invalid request to {request.url.path}: {problems}"})

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

    return _BodyLimit(app, limits.max_body_bytes)


def serve(
    retriever: Retriever,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServerLimits | None = None,
    log_level: str = "warning",
) -> None:
    """Serve ``retriever`` until interrupted (binds loopback unless ``host`` says otherwise)."""
    import uvicorn

    uvicorn.run(create_app(retriever, limits), host=host, port=port, log_level=log_level, access_log=False)


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
