"""The one retry rule of agent-gym's HTTP clients: an ``httpx`` transport that retries and fails over.

Every client that talks to a server (the ``http`` retriever, the OpenAI-compatible policy) builds its
``httpx.Client`` on :class:`RetryTransport`, so what is retried, how long it waits and which replica it tries
next are decided here once, not in each caller. A request is retried when the connection fails or times out
(any ``httpx.TransportError``), when the answer has a status in :attr:`RetryPolicy.retry_status`, or when the
caller's ``accept`` check refuses a successful answer (e.g. a body that is not the expected JSON). The waits
double from :attr:`RetryPolicy.backoff_s` up to :attr:`RetryPolicy.max_backoff_s`. After the last attempt the
last answer is returned (the caller sees its status) or the last transport error is raised.

With several base URLs (replicas), requests start on the replicas in turn, and a retry goes to the next one;
a replica whose connection failed is skipped for :attr:`RetryPolicy.down_s` unless every replica is down.

Example:
    >>> import httpx
    >>> answers = iter([httpx.Response(503), httpx.Response(200, json={"ok": True})])
    >>> inner = httpx.MockTransport(lambda request: next(answers))
    >>> client = httpx.Client(transport=RetryTransport(RetryPolicy(backoff_s=0), transport=inner))
    >>> client.get("http://test/x").json(), client._transport.attempts
    ({'ok': True}, 2)
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence

import httpx
from pydantic import BaseModel, ConfigDict, Field

from agent_gym.errors import ConfigError

__all__ = ["RetryPolicy", "RetryTransport", "readdress", "split_urls"]


class RetryPolicy(BaseModel):
    """What is retried, and how long to wait between attempts."""

    model_config = ConfigDict(frozen=True)

    retries: int = Field(2, ge=0)
    """Extra attempts after the first one."""
    backoff_s: float = Field(0.2, ge=0)
    """Wait before the first retry; doubled before each further one."""
    max_backoff_s: float = Field(5.0, ge=0)
    """Longest single wait."""
    retry_status: frozenset[int] = frozenset({408, 409, 429, 500, 502, 503, 504})
    """Answer statuses that are retried (the server is busy or failed, not the request)."""
    down_s: float = Field(5.0, ge=0)
    """How long a replica whose connection failed is skipped (with several base URLs)."""

    def wait_s(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first).

        Example:
            >>> [RetryPolicy(backoff_s=0.5, max_backoff_s=1.5).wait_s(n) for n in (1, 2, 3, 4)]
            [0.5, 1.0, 1.5, 1.5]
        """
        return min(self.backoff_s * 2 ** (retry - 1), self.max_backoff_s)


def split_urls(urls: str | Sequence[str]) -> tuple[str, ...]:
    """Base URLs from a comma-separated string or a list, without trailing slashes.

    Raises:
        ConfigError: none given, or one that is not http(s).

    Example:
        >>> split_urls("http://a:8000/, http://b:8000")
        ('http://a:8000', 'http://b:8000')
    """
    parts = urls.split(",") if isinstance(urls, str) else list(urls)
    cleaned = tuple(str(part).strip().rstrip("/") for part in parts if str(part).strip())
    if not cleaned:
        raise ConfigError(f"expected one or more http(s):// URLs, got {urls!r}")
    for url in cleaned:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"a server URL must start with http:// or https://, got {url!r}")
    return cleaned


class RetryTransport(httpx.BaseTransport):
    """An ``httpx`` transport that retries by :class:`RetryPolicy` and spreads requests over replicas.

    Args:
        policy: The retry rule.
        transport: The transport that sends each attempt (``httpx.MockTransport`` in tests); None uses the network.
        replicas: Base URLs serving the same thing. Requests are written against the first one (the client's
            ``base_url``) and each attempt is sent to the replica whose turn it is. None: one server.
        accept: Called on each answer with a status below 400; False retries it like a 5xx.
        sleep: The wait function (tests pass a fake clock).
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        replicas: Sequence[str] | None = None,
        accept: Callable[[httpx.Response], bool] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.policy = policy or RetryPolicy()
        self._inner = transport if transport is not None else httpx.HTTPTransport()
        self.replicas = split_urls(replicas) if replicas is not None else ()
        self._accept, self._sleep = accept, sleep
        self._turn = itertools.count()
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self.attempts = 0
        """Requests sent so far, retries included."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a retry sends the same body again
        start = next(self._turn)
        for attempt in range(self.policy.retries + 1):
            if attempt:
                self._sleep(self.policy.wait_s(attempt))
            replica = self._replica(start + attempt)
            with self._lock:
                self.attempts += 1
            try:
                response = self._inner.handle_request(self._to(request, replica))
            except httpx.TransportError:
                self._mark_down(replica)
                if attempt == self.policy.retries:
                    raise
                continue
            if attempt < self.policy.retries and self._should_retry(response):
                response.close()
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _should_retry(self, response: httpx.Response) -> bool:
        if response.status_code in self.policy.retry_status:
            return True
        if self._accept is None or response.status_code >= 400:
            return False
        response.read()
        return not self._accept(response)

    def _replica(self, turn: int) -> str | None:
        """The replica for this turn, skipping those marked down (unless all are)."""
        if not self.replicas:
            return None
        now = time.monotonic()
        ordered = [self.replicas[(turn + k) % len(self.replicas)] for k in range(len(self.replicas))]
        with self._lock:
            up = [url for url in ordered if self._down_until.get(url, 0.0) <= now]
        return (up or ordered)[0]

    def _mark_down(self, replica: str | None) -> None:
        if replica is not None and len(self.replicas) > 1:
            with self._lock:
                self._down_until[replica] = time.monotonic() + self.policy.down_s

    def _to(self, request: httpx.Request, replica: str | None) -> httpx.Request:
        """``request`` sent to ``replica`` instead of the first replica (the client's base URL)."""
        return request if replica is None else readdress(request, self.replicas[0], replica)

    def close(self) -> None:
        self._inner.close()


def readdress(request: httpx.Request, base: str, url: str) -> httpx.Request:
    """``request``, written against the base URL ``base``, sent to the server at ``url`` instead.

    Example:
        >>> readdress(httpx.Request("GET", "http://a:1/v1/models"), "http://a:1/v1", "http://b:2/v1").url
        URL('http://b:2/v1/models')
    """
    target = str(request.url)
    if url == base or not target.startswith(base):
        return request
    headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]  # httpx sets the new host's
    return httpx.Request(
        request.method, url + target[len(base) :], headers=headers, content=request.content, extensions=request.extensions
    )
