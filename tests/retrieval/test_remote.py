"""The http retriever client, against ``httpx.MockTransport``: protocol, retries, clear failures."""

import httpx
import pytest

from agent_gym.errors import ConfigError, RetrievalError
from agent_gym.retrieval import HttpRetriever, Passage

PASSAGE = {"id": "p1", "title": "Ed Wood", "text": "A filmmaker.", "score": 3.5}


def _client(handler, **kwargs):
    return HttpRetriever("http://retriever.test", transport=httpx.MockTransport(handler), backoff_s=0, **kwargs)


def test_search_and_batch_search_speak_the_server_protocol():
    seen = []

    def handler(request):
        seen.append((request.url.path, request.read()))
        if request.url.path == "/search":
            return httpx.Response(200, json={"passages": [PASSAGE]})
        return httpx.Response(200, json={"results": [[PASSAGE], []]})

    client = _client(handler)
    assert client.search("ed wood", 3) == [Passage(**PASSAGE)]
    assert client.batch_search(["ed wood", "x"], 2) == [[Passage(**PASSAGE)], []]
    assert seen == [("/search", b'{"query":"ed wood","k":3}'), ("/batch_search", b'{"queries":["ed wood","x"],"k":2}')]


def test_transient_failures_are_retried_then_reported():
    calls = []

    def flaky(request):
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused")
        if len(calls) == 2:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json={"passages": [PASSAGE]})

    assert _client(flaky, retries=2).search("q")[0].id == "p1" and len(calls) == 3

    def down(request):
        raise httpx.ReadTimeout("timed out")

    with pytest.raises(RetrievalError, match=r"did not answer after 3 attempts \(ReadTimeout: timed out\)"):
        _client(down, retries=2).search("q")


def test_client_errors_and_bad_answers_are_not_retried():
    calls = []

    def rejecting(request):
        calls.append(1)
        return httpx.Response(422, json={"detail": "k: too large"})

    with pytest.raises(RetrievalError, match="rejected the request: HTTP 422"):
        _client(rejecting, retries=3).search("q")
    assert len(calls) == 1
    with pytest.raises(RetrievalError, match="non-JSON"):
        _client(lambda r: httpx.Response(200, text="<html>")).search("q")
    with pytest.raises(RetrievalError, match="malformed passages"):
        _client(lambda r: httpx.Response(200, json={"passages": [{"id": 1}]})).search("q")
    with pytest.raises(RetrievalError, match="returned 1 result lists for 2 queries"):
        _client(lambda r: httpx.Response(200, json={"results": [[]]})).batch_search(["a", "b"])


def test_queries_are_cleaned_before_sending():
    bodies = []

    def handler(request):
        bodies.append(request.read())
        return httpx.Response(200, json={"passages": []})

    _client(handler).search("a\x00b\udce9" + "x" * 5000)
    assert bodies[0].startswith(b'{"query":"ab?xxx') and len(bodies[0]) < 2100


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="must start with http"):
        HttpRetriever("127.0.0.1:8000")
    with pytest.raises(ConfigError, match="timeout_s > 0"):
        HttpRetriever("http://x", timeout_s=0)
