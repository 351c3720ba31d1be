"""OpenAIPolicy: any OpenAI-compatible ``/v1/chat/completions`` server (vLLM, llama.cpp, Ollama, OpenAI).

The histories of a batch are sent as concurrent requests (at most ``max_concurrency`` in flight). A request that
fails in a retryable way (connection error, timeout, HTTP 408/409/429/5xx, a body that is not the expected JSON)
is retried ``max_retries`` times with exponential backoff; after that, or on another HTTP error, the turn comes
back with ``PolicyTurn.error`` set, and the rollout records it and goes on. Native ``tool_calls`` in the response
are returned in ``PolicyTurn.message``, which the env reads whatever its text format.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent_gym.baselines.policies.endpoint_pool import EndpointPool
from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout.policy import PolicyTurn
from agent_gym.utils.http import RetryPolicy, RetryTransport, split_urls

__all__ = ["OpenAIPolicy"]


class OpenAIPolicy:
    """Chat completions over HTTP, with concurrency limits, timeouts and retries.

    Args:
        base_url: Server root including ``/v1``, e.g. ``http://127.0.0.1:8000/v1``; several servers of the same
            model as a list or comma-separated (``http://a:8000/v1,http://b:8000/v1``) are used as an
            :class:`~agent_gym.baselines.policies.endpoint_pool.EndpointPool`.
        model: Model name sent in each request.
        api_key: Bearer token; defaults to ``$OPENAI_API_KEY`` (servers on loopback usually ignore it).
        native_tools: Send the env's tools as ``tools=`` (the server then answers with ``tool_calls``); otherwise
            the tools are only described in the env's system prompt, in the env's text format.
        temperature: Sampling temperature; 0 is greedy.
        max_tokens: Generation budget per turn.
        max_concurrency: Requests in flight at once.
        timeout_s: Seconds before one request is abandoned (and retried).
        max_retries: Retries after the first attempt.
        backoff_s: First retry delay; doubled after each retry.
        transport: An ``httpx`` transport (``httpx.MockTransport`` in tests).
        extra_body: Extra JSON fields merged into each request.
    """

    def __init__(
        self,
        base_url: str | Sequence[str] = "http://127.0.0.1:8000/v1",
        model: str = "default",
        *,
        api_key: str | None = None,
        native_tools: bool = False,
        temperature: float = 0.0,
        max_tokens: int = 256,
        max_concurrency: int = 8,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        transport: Any = None,
        extra_body: dict[str, Any] | None = None,
    ):
        import httpx

        if max_concurrency < 1 or max_retries < 0 or timeout_s <= 0:
            raise ConfigError(
                "need max_concurrency >= 1, max_retries >= 0 and timeout_s > 0, "
                f"got {max_concurrency}, {max_retries}, {timeout_s}"
            )
        urls = split_urls(base_url)
        self.base_url = urls[0]  # requests are written against the first server; a pool readdresses them
        self.model = model
        self.native_tools = native_tools
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.extra_body = dict(extra_body or {})
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "none")
        limits = httpx.Limits(max_connections=max_concurrency)
        transport = transport if transport is not None else httpx.HTTPTransport(limits=limits)
        self.pool = EndpointPool(urls, transport=transport) if len(urls) > 1 else None
        """The servers' pool when there are several (see :mod:`.endpoint_pool`), else None."""
        self._retrying = RetryTransport(
            RetryPolicy(retries=max_retries, backoff_s=backoff_s, max_backoff_s=max(60.0, backoff_s)),
            transport=self.pool or transport,
            accept=_is_completion,
        )
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=httpx.Timeout(timeout_s),
            transport=self._retrying,
        )
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="openai-policy")

    @property
    def requests_sent(self) -> int:
        """Requests sent so far, retries included."""
        return self._retrying.attempts

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[PolicyTurn]:
        seeds = list(seeds) if seeds is not None else [None] * len(histories)
        jobs = [self._pool.submit(self._turn, h, tools, s) for h, s in zip(histories, seeds, strict=True)]
        return [job.result() for job in jobs]

    def close(self) -> None:
        """Close the HTTP connections and the request threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def _turn(self, history: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None, seed: int | None) -> PolicyTurn:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in history],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            **self.extra_body,
        }
        if seed is not None:
            body["seed"] = int(seed) % 2**31
        if self.native_tools and tools:
            body["tools"] = list(tools)
        try:
            return _parse_response(self._post_with_retries(body))
        except PolicyError as exc:
            return PolicyTurn(text="", error=str(exc))

    def _post_with_retries(self, body: dict[str, Any]) -> Any:
        import httpx

        attempts = f"{self.base_url}/chat/completions failed after {self.max_retries + 1} attempts"
        try:
            response = self._client.post("/chat/completions", json=body)  # RetryTransport retries
        except httpx.HTTPError as exc:  # connection refused, timeouts, protocol errors
            raise PolicyError(f"{attempts}; last: {type(exc).__name__}: {exc}") from None
        if response.status_code in self._retrying.policy.retry_status:
            raise PolicyError(f"{attempts}; last: HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise PolicyError(f"{self.base_url} answered HTTP {response.status_code}: {response.text[:300]}")
        try:
            data = response.json()
            _parse_response(data)
        except (ValueError, PolicyError) as exc:
            raise PolicyError(f"{attempts}; last: malformed response: {exc}") from None
        return data


def _is_completion(response: Any) -> bool:
    """Whether a successful answer holds a chat completion (one that does not is retried)."""
    try:
        _parse_response(response.json())
    except (ValueError, PolicyError):
        return False
    return True


def _parse_response(data: Any) -> PolicyTurn:
    """The turn in a chat-completions response body.

    Raises:
        PolicyError: the body is not a chat completion.
    """
    try:
        message = data["choices"][0]["message"]
        content = message.get("content")
        raw_calls = message.get("tool_calls")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise PolicyError(f"expected {{'choices': [{{'message': ...}}]}}, got {str(data)[:200]!r} ({exc!r})") from None
    if content is not None and not isinstance(content, str):
        raise PolicyError(f"message content must be a string or null, got {type(content).__name__}")
    text = content or ""
    if raw_calls:
        if not isinstance(raw_calls, list):
            raise PolicyError(f"tool_calls must be a list, got {type(raw_calls).__name__}")
        return PolicyTurn(text=text, message={"role": "assistant", "content": text, "tool_calls": raw_calls})
    return PolicyTurn(text=text)
