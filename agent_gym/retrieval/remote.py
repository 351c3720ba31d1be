"""The ``http`` retriever: a client of ``agent-gym serve-retriever`` (or any server speaking its protocol).

Protocol: ``POST /search`` with ``{"query": str, "k": int}`` answers ``{"passages": [passage, ...]}``;
``POST /batch_search`` with ``{"queries": [str, ...], "k": int}`` answers ``{"results": [[passage, ...], ...]}``;
a passage is ``{"id", "title", "text", "score"}``. Connection failures, timeouts and 5xx answers are retried
with exponential back-off; when every attempt fails the client raises
:class:`~agent_gym.errors.RetrievalError`, which a tool-using env reports as an ``unavailable`` tool error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from agent_gym.errors import ConfigError, RetrievalError
from agent_gym.retrieval.base import Passage, clean_query

__all__ = ["HttpRetriever"]

_RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class HttpRetriever:
    """Search a remote retrieval server.

    Args:
        url: Base URL of the server, e.g. ``http://127.0.0.1:8000``.
        timeout_s: Per-request timeout (connect, read, write and pool), seconds.
        retries: Extra attempts after a failed one.
        backoff_s: Sleep before the first retry; doubles with each further retry.
        transport: An httpx transport (``httpx.MockTransport`` in tests); None uses the network.
    """

    name = "http"

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        transport: httpx.BaseTransport | None = None,
    ):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"retriever URL must start with http:// or https://, got {url!r}")
        if timeout_s <= 0 or retries < 0 or backoff_s < 0:
            raise ConfigError(f"need timeout_s > 0, retries >= 0, backoff_s >= 0; got {timeout_s}, {retries}, {backoff_s}")
        self.url = url.rstrip("/")
        self.retries, self.backoff_s = int(retries), float(backoff_s)
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s, transport=transport)

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = self._client.post(path, json=payload)
            except httpx.TransportError as exc:  # refused, reset, timed out
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code in _RETRYABLE_STATUS:
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code >= 400:
                raise RetrievalError(f"{self.url}{path} rejected the request: HTTP {response.status_code}: {response.text[:300]}")
            try:
                return response.json()
            except ValueError:
                raise RetrievalError(f"{self.url}{path} answered with non-JSON: {response.text[:200]!r}") from None
        raise RetrievalError(f"retrieval server {self.url} did not answer after {self.retries + 1} attempts ({problem})")

    @staticmethod
    def _passages(items: Any, where: str) -> list[Passage]:
        try:
            return [Passage.model_validate(item) for item in items]
        except Exception as exc:
            raise RetrievalError(f"{where}: malformed passages in the answer ({exc})") from None

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The server's best ``k`` passages for ``query``."""
        body = self._post("/search", {"query": clean_query(query), "k": int(k)})
        return self._passages(body.get("passages", []), f"{self.url}/search")

    def batch_search(self, queries: Sequence[str], k: int = 5) -> list[list[Passage]]:
        """One request for all ``queries``; results in the same order."""
        body = self._post("/batch_search", {"queries": [clean_query(q) for q in queries], "k": int(k)})
        results = body.get("results", [])
        if len(results) != len(queries):
            raise RetrievalError(f"{self.url}/batch_search returned {len(results)} result lists for {len(queries)} queries")
        return [self._passages(items, f"{self.url}/batch_search") for items in results]

    def health(self) -> dict[str, Any]:
        """The server's ``GET /health`` answer (raises RetrievalError when it is down)."""
        try:
            response = self._client.get("/health")
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RetrievalError(f"retrieval server {self.url} is not healthy: {exc}") from None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __repr__(self) -> str:
        return f"HttpRetriever({self.url!r})"
