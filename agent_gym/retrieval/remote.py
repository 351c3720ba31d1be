"""The ``http`` retriever: a client of any server speaking Search-R1's ``POST /retrieve``, one or several replicas.

That is ``agent-gym serve-retriever`` and Search-R1's own ``retrieval_server.py`` (e.g. over wiki-18 with an
e5 index), whose format :mod:`agent_gym.retrieval.search_r1` reads. Several base URLs (``"http://a,http://b"``
or a list) are replicas of one corpus: requests go to them in turn, and a failed one is retried on the next
(the rule lives in :class:`~agent_gym.utils.http.RetryTransport`). When every attempt fails the client raises
:class:`~agent_gym.errors.RetrievalError`, which a tool-using env reports as an ``unavailable`` tool error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from agent_gym.errors import ConfigError, RetrievalError
from agent_gym.retrieval.base import Passage, clean_query
from agent_gym.retrieval.search_r1 import passages_from_search_r1
from agent_gym.utils.http import RetryPolicy, RetryTransport, split_urls

__all__ = ["HttpRetriever"]


class HttpRetriever:
    """Search remote retrieval servers (replicas of one corpus).

    Args:
        url: Base URL of the server, e.g. ``http://127.0.0.1:8000``; several, comma-separated or as a list, are
            replicas that share the load and stand in for each other.
        timeout_s: Per-request timeout (connect, read, write and pool), seconds.
        retries: Extra attempts after a failed one (each on the next replica).
        backoff_s: Wait before the first retry; doubles with each further retry.
        transport: An httpx transport (``httpx.MockTransport`` in tests); None uses the network.
    """

    name = "http"

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        timeout_s: float = 10.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        transport: httpx.BaseTransport | None = None,
    ):
        self.urls = split_urls(url)
        if timeout_s <= 0 or retries < 0 or backoff_s < 0:
            raise ConfigError(f"need timeout_s > 0, retries >= 0, backoff_s >= 0; got {timeout_s}, {retries}, {backoff_s}")
        self.url = ",".join(self.urls)
        self.retries = int(retries)
        policy = RetryPolicy(retries=retries, backoff_s=backoff_s)
        self._retrying = RetryTransport(policy, transport=transport, replicas=self.urls)
        self._client = httpx.Client(base_url=self.urls[0], timeout=timeout_s, transport=self._retrying)

    def _retrieve(self, queries: list[str], k: int) -> list[Any]:
        payload = {"queries": queries, "topk": int(k), "return_scores": True}
        try:
            response = self._client.post("/retrieve", json=payload)
        except httpx.TransportError as exc:  # refused, reset, timed out, on every attempt
            raise RetrievalError(
                f"retrieval server {self.url} did not answer after {self.retries + 1} attempts ({type(exc).__name__}: {exc})"
            ) from None
        if response.status_code in self._retrying.policy.retry_status:  # still busy or failing after the retries
            raise RetrievalError(
                f"retrieval server {self.url} did not answer after {self.retries + 1} attempts "
                f"(HTTP {response.status_code}: {response.text[:200]})"
            )
        if response.status_code >= 400:
            raise RetrievalError(f"{self.url}/retrieve rejected the request: HTTP {response.status_code}: {response.text[:300]}")
        try:
            results = response.json()["result"]
        except (ValueError, KeyError, TypeError):
            raise RetrievalError(f"{self.url}/retrieve answered without a 'result' list: {response.text[:200]!r}") from None
        if not isinstance(results, list) or len(results) != len(queries):
            count = len(results) if isinstance(results, list) else type(results).__name__
            raise RetrievalError(f"{self.url}/retrieve returned {count} result lists for {len(queries)} queries")
        return results

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The servers' best ``k`` passages for ``query``."""
        return self.batch_search([query], k)[0]

    def batch_search(self, queries: Sequence[str], k: int = 5) -> list[list[Passage]]:
        """One request for all ``queries``; results in the same order."""
        results = self._retrieve([clean_query(q) for q in queries], k)
        return [passages_from_search_r1(hits, f"{self.url}/retrieve") for hits in results]

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __repr__(self) -> str:
        return f"HttpRetriever({self.url!r})"
