"""EndpointPool: several OpenAI-compatible servers behind one client, least-outstanding then sticky per episode.

An ``httpx`` transport that :class:`~agent_gym.baselines.policies.openai_http.OpenAIPolicy` uses when it is given
several base URLs (``--policy http://a:8000/v1,http://b:8000/v1#model``). It sits *under* the one retry rule
(:class:`agent_gym.utils.http.RetryTransport`), which decides what is retried and how long to wait; the pool
decides where each attempt goes:

* **an episode's first turn** goes to the live server with the fewest requests in flight (ties: fewest
  episodes, then list order);
* **every later turn of the episode** goes to the same server, so vLLM's and SGLang's prefix caches see the
  whole history again. The episode is recognised from the request itself: its opening messages
  (:func:`~agent_gym.rollout.policy.episode_key`), so nothing in the policy or the engine has to carry it;
* **health**: a server whose connection fails is marked down and its episodes move to the others (an episode
  moved mid-run loses its cache there, nothing else: the history is in the request). A down server is probed
  (``GET /models``) again after ``recheck_s`` and takes new episodes once it answers; :meth:`health` probes
  them all now;
* **failover**: a connection that could not be opened (nothing was sent) is tried on the next live server at
  once; any other transport error (a server dying mid-answer, a timeout) marks the server down and goes back to
  the retry rule, whose next attempt lands on a live server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import httpx

from agent_gym.errors import ConfigError
from agent_gym.rollout.policy import episode_key
from agent_gym.utils.http import readdress, split_urls

__all__ = ["EndpointPool"]

_MAX_EPISODES = 65536  # sticky assignments remembered (least recently used forgotten first)


class EndpointPool(httpx.BaseTransport):
    """Routes each request to one of ``urls``; requests are written against ``urls[0]`` (the client's base URL).

    Args:
        urls: Base URLs of servers serving the same model (a comma-separated string or a list).
        transport: What sends each request (``httpx.MockTransport`` in tests); None uses the network.
        recheck_s: How long a server that failed stays out before it is probed again.
        probe_timeout_s: Time limit of one health probe.

    Example:
        >>> seen = []
        >>> def serve(request):
        ...     seen.append(request.url.host)
        ...     return httpx.Response(200, json={})
        >>> pool = EndpointPool("http://a/v1,http://b/v1", transport=httpx.MockTransport(serve))
        >>> client = httpx.Client(base_url="http://a/v1", transport=pool)
        >>> opening = [{"role": "user", "content": "q1"}]
        >>> for turn in range(3):  # one episode: its first server, then the same one
        ...     _ = client.post("/chat/completions", json={"messages": opening + [{"role": "assistant"}] * turn})
        >>> _ = client.post("/chat/completions", json={"messages": [{"role": "user", "content": "q2"}]})
        >>> seen
        ['a', 'a', 'a', 'b']
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        transport: httpx.BaseTransport | None = None,
        recheck_s: float = 5.0,
        probe_timeout_s: float = 2.0,
    ):
        if recheck_s < 0 or probe_timeout_s <= 0:
            raise ConfigError(f"need recheck_s >= 0 and probe_timeout_s > 0, got {recheck_s} and {probe_timeout_s}")
        self.urls = split_urls(urls)
        self._inner = transport if transport is not None else httpx.HTTPTransport()
        self.recheck_s = recheck_s
        self.probe_timeout_s = probe_timeout_s
        self._lock = threading.Lock()
        self._episodes: OrderedDict[str, str] = OrderedDict()
        self._down_since: dict[str, float] = {}
        self.outstanding: dict[str, int] = dict.fromkeys(self.urls, 0)
        """Requests in flight per server."""
        self.sent: dict[str, int] = dict.fromkeys(self.urls, 0)
        """Requests sent per server so far."""
        self.failovers = 0
        """Requests moved to another server because theirs failed."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = _episode_of(request)
        tried: set[str] = set()
        while True:
            url = self._pick(key, exclude=tried)
            tried.add(url)
            with self._lock:
                self.outstanding[url] += 1
                self.sent[url] += 1
            try:
                response = self._inner.handle_request(readdress(request, self.urls[0], url))
                response.read()  # in flight until answered: what least-outstanding counts
                return response
            except httpx.TransportError as exc:
                self._mark_down(url, key)
                # Nothing reached a server that refused the connection: safe to resend at once.
                if not isinstance(exc, httpx.ConnectError) or len(tried) == len(self.urls):
                    raise
                with self._lock:
                    self.failovers += 1
            finally:
                with self._lock:
                    self.outstanding[url] -= 1

    def health(self) -> dict[str, bool]:
        """Probe every server now (``GET /models``); mark each up or down; return ``{url: up}``."""
        status = {url: self._probe(url) for url in self.urls}
        with self._lock:
            for url, up in status.items():
                if up:
                    self._down_since.pop(url, None)
                else:
                    self._down_since.setdefault(url, time.monotonic())
        return status

    def assignments(self) -> dict[str, int]:
        """Episodes currently pinned to each server."""
        with self._lock:
            return self._counts()

    def close(self) -> None:
        self._inner.close()

    def _pick(self, key: str | None, *, exclude: set[str]) -> str:
        """The episode's server when it is live, else the live server with the fewest requests in flight."""
        self._recheck()
        with self._lock:
            live = [u for u in self.urls if u not in self._down_since and u not in exclude]
            if not live:  # everything is down: try the others anyway rather than fail without asking
                live = [u for u in self.urls if u not in exclude] or list(self.urls)
            pinned = self._episodes.get(key) if key is not None else None
            if pinned in live:
                self._episodes.move_to_end(key)
                return pinned
            episodes = self._counts()
            url = min(live, key=lambda u: (self.outstanding[u], episodes[u], self.urls.index(u)))
            if key is not None:
                self._episodes[key] = url
                while len(self._episodes) > _MAX_EPISODES:
                    self._episodes.popitem(last=False)
            return url

    def _counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.urls, 0)
        for url in self._episodes.values():
            counts[url] += 1
        return counts

    def _recheck(self) -> None:
        """Probe the servers that have been down for ``recheck_s``; bring back those that answer."""
        now = time.monotonic()
        with self._lock:
            due = [u for u, since in self._down_since.items() if now - since >= self.recheck_s]
            for url in due:  # one prober per server: the others keep skipping it meanwhile
                self._down_since[url] = now
        for url in due:
            if self._probe(url):
                with self._lock:
                    self._down_since.pop(url, None)

    def _probe(self, url: str) -> bool:
        request = httpx.Request("GET", url + "/models", extensions={"timeout": _timeouts(self.probe_timeout_s)})
        try:
            response = self._inner.handle_request(request)
            response.read()
        except httpx.TransportError:
            return False
        return response.status_code < 500

    def _mark_down(self, url: str, key: str | None) -> None:
        with self._lock:
            self._down_since.setdefault(url, time.monotonic())
            if key is not None and self._episodes.get(key) == url:
                del self._episodes[key]  # the next attempt pins the episode to a live server


def _episode_of(request: httpx.Request) -> str | None:
    """The episode a chat-completions request belongs to (its opening messages), or None for other requests."""
    try:
        messages = json.loads(request.read() or b"null").get("messages")
    except (ValueError, AttributeError):
        return None
    return episode_key(messages) if isinstance(messages, list) else None


def _timeouts(seconds: float) -> dict[str, Any]:
    return {"connect": seconds, "read": seconds, "write": seconds, "pool": seconds}
