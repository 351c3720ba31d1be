"""The retrieval server: any :class:`~agent_gym.retrieval.base.Retriever` over HTTP (FastAPI on uvicorn).

Endpoints: ``GET /health``; ``POST /retrieve`` in Search-R1's format (:mod:`agent_gym.retrieval.search_r1`),
which :class:`~agent_gym.retrieval.remote.HttpRetriever` speaks; and agent-gym's first protocol, ``POST /search``
``{"query", "k"}`` -> ``{"passages": [...]}`` and ``POST /batch_search`` ``{"queries", "k"}`` -> ``{"results": [...]}``.
Requests are bounded (:class:`ServerLimits`): bodies over ``max_body_bytes`` get 413, bodies not received within
``body_timeout_s`` 408, bodies that are not UTF-8 and queries over ``max_query_chars``, batches over
``max_batch``, ``k`` over ``max_k`` or of another type than an integer 422, each with a message that says the
limit, and at most a few KB long however many fields are wrong. A connection that has not sent a complete request
head within ``header_timeout_s`` is closed. The work is bounded too: a request asking for more than ``max_results``
passages (queries x k) gets 413, and one that would take the passages being retrieved across all requests at once
past ``max_results_in_flight`` gets 503 with ``Retry-After`` (so a burst of large requests cannot hold gigabytes of
answers). A token, ``Host`` and ``Origin`` are checked as on the env server
(:mod:`agent_gym.serving.http_limits`); :func:`serve` refuses to bind beyond loopback without a token.
``/docs``, ``/redoc`` and ``/openapi.json`` are served only on request
(``docs=True``). FastAPI and uvicorn are imported only when an app is created.
"""

import threading
from typing import Annotated, Any  # no `from __future__ import annotations`: FastAPI reads these hints at run time

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import RetrievalError
from agent_gym.retrieval.base import MAX_QUERY_CHARS, Retriever
from agent_gym.retrieval.search_r1 import search_r1_hits
from agent_gym.serving.http_limits import (
    BearerToken,
    BoundedBody,
    HostOrigin,
    check_bind,
    host_checks,
    protocol_with_header_timeout,
    validation_problems,
)
from agent_gym.serving.process import ChildServer

__all__ = ["ServerLimits", "ServerProcess", "create_app", "serve"]


class ServerLimits(BaseModel):
    """Bounds on what one request may ask and how long a client may hold a connection."""

    model_config = ConfigDict(frozen=True)

    max_query_chars: int = Field(MAX_QUERY_CHARS, ge=1)
    """Longest accepted query."""
    max_batch: int = Field(256, ge=1)
    """Most queries in one ``/batch_search``."""
    max_k: int = Field(100, ge=1)
    """Most passages per query."""
    max_results: int = Field(2048, ge=1)
    """Most passages (queries x k) one request may ask for; more gets 413. Search-R1's ``{"queries": [...] * 256,
    "topk": 100, "return_scores": true}`` asks for 25,600 (a 51 MB answer)."""
    max_results_in_flight: int = Field(8192, ge=1)
    """Most passages being retrieved and answered across all requests at once; a request that would pass it
    gets 503 with ``Retry-After`` (``retry_after_s``)."""
    retry_after_s: int = Field(1, ge=0)
    """``Retry-After`` of a 503 for work in flight."""
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


def create_app(
    retriever: Retriever,
    limits: ServerLimits | None = None,
    description: str = "",
    docs: bool = False,
    token: str | None = None,
    allowed_hosts: tuple[str, ...] = ("*",),
    allowed_origins: tuple[str, ...] = (),
) -> Any:
    """A FastAPI app serving ``retriever`` within ``limits``.

    Args:
        retriever: The backend.
        limits: Request bounds; None uses the defaults of :class:`ServerLimits`.
        description: Shown in the OpenAPI page; defaults to ``repr(retriever)``.
        docs: Serve ``/docs``, ``/redoc`` and ``/openapi.json`` (off: they describe the server to anyone who reaches it).
        token: Bearer token required on every route but ``/health``; None for none.
        allowed_hosts: ``Host`` names served besides loopback ones (``"*"``, the default here: any; :func:`serve` checks it).
        allowed_origins: ``Origin`` host names accepted besides loopback ones (``"*"``: any).
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
            status_code=422, content={"detail": f"invalid request to {request.url.path}: {validation_problems(exc.errors())}"}
        )

    in_flight = [0]  # passages asked for by the requests being answered (sync routes run on worker threads)
    lock = threading.Lock()

    def run(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except RetrievalError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None

    def bounded(queries: int, k: int, answer: Any) -> dict[str, Any]:
        """``answer()`` when ``queries`` x ``k`` passages fit the request's and the server's bounds; else 413 or 503."""
        asked = queries * k
        if asked > limits.max_results:
            detail = (
                f"{queries} queries x k={k} asks for {asked} passages, over the limit of {limits.max_results} per request; "
                "split it into smaller batches or ask for a smaller k"
            )
            raise HTTPException(status_code=413, detail=detail)
        with lock:
            busy = in_flight[0] + asked > limits.max_results_in_flight
            if not busy:
                in_flight[0] += asked
        if busy:
            detail = f"the server is retrieving {limits.max_results_in_flight} passages at most at once and is busy; retry later"
            raise HTTPException(status_code=503, detail=detail, headers={"Retry-After": str(limits.retry_after_s)})
        try:
            return answer()
        finally:
            with lock:
                in_flight[0] -= asked

    @app.get("/health")
    def health() -> dict[str, Any]:
        corpus = getattr(retriever, "corpus", None)
        return {"status": "ok", "retriever": repr(retriever), "passages": len(corpus) if corpus is not None else None}

    @app.post("/search")
    def search(request: SearchRequest) -> dict[str, Any]:
        return bounded(
            1, request.k, lambda: {"passages": [p.model_dump() for p in run(retriever.search, request.query, request.k)]}
        )

    @app.post("/batch_search")
    def batch_search(request: BatchRequest) -> dict[str, Any]:
        def answer() -> dict[str, Any]:
            results = run(retriever.batch_search, request.queries, request.k)
            return {"results": [[p.model_dump() for p in passages] for passages in results]}

        return bounded(len(request.queries), request.k, answer)

    @app.post("/retrieve")
    def retrieve(request: RetrieveRequest) -> dict[str, Any]:
        k = request.topk or 3  # Search-R1's default topk

        def answer() -> dict[str, Any]:
            results = run(retriever.batch_search, request.queries, k)
            return {"result": [search_r1_hits(passages, request.return_scores) for passages in results]}

        return bounded(len(request.queries), k, answer)

    body = BoundedBody(app, limits.max_body_bytes, limits.body_timeout_s)
    return HostOrigin(BearerToken(body, token) if token else body, allowed_hosts, allowed_origins)


def serve(
    retriever: Retriever,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServerLimits | None = None,
    log_level: str = "warning",
    docs: bool = False,
    token: str | None = None,
    allowed_hosts: tuple[str, ...] = (),
    allowed_origins: tuple[str, ...] = (),
) -> None:
    """Serve ``retriever`` until interrupted (binds loopback unless ``host`` says otherwise, which needs ``token``).

    Args:
        retriever: The backend.
        host: Interface to bind.
        port: Port to bind.
        limits: Request and connection bounds; None uses the defaults of :class:`ServerLimits`.
        log_level: uvicorn's log level.
        docs: Serve ``/docs``, ``/redoc`` and ``/openapi.json``.
        token: Bearer token clients must send; required beyond loopback.
        allowed_hosts: ``Host`` names served besides loopback ones; beyond loopback with none given, any.
        allowed_origins: ``Origin`` host names accepted besides loopback ones.

    Raises:
        ConfigError: a non-loopback ``host`` without a token.
    """
    import uvicorn

    check_bind(host, token, "serving a retriever")
    limits = limits or ServerLimits()
    uvicorn.run(
        create_app(
            retriever,
            limits,
            docs=docs,
            token=token,
            allowed_hosts=host_checks(host, allowed_hosts),
            allowed_origins=allowed_origins,
        ),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        http=protocol_with_header_timeout(limits.header_timeout_s),
        timeout_keep_alive=limits.keep_alive_s,
    )


class ServerProcess(ChildServer):
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

    command = "serve-retriever"
    error = RetrievalError
