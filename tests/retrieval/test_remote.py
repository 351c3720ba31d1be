"""The http retriever client, against ``httpx.MockTransport``: Search-R1's protocol, retries, replicas, clear failures."""

import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_gym.errors import ConfigError, RetrievalError
from agent_gym.retrieval import HttpRetriever, Passage
from agent_gym.retrieval.search_r1 import passages_from_search_r1, search_r1_hits

PASSAGE = {"id": "p1", "title": "Ed Wood", "text": "A filmmaker.", "score": 3.5}
HIT = {"document": {"id": "p1", "contents": '"Ed Wood"\nA filmmaker.'}, "score": 3.5}  # as Search-R1's server writes it


def _client(handler, url="http://retriever.test", **kwargs):
    return HttpRetriever(url, transport=httpx.MockTransport(handler), backoff_s=0, **kwargs)


def test_search_and_batch_search_speak_search_r1s_retrieve():
    seen = []

    def handler(request):
        body = json.loads(request.read())
        seen.append((request.url.path, body))
        return httpx.Response(200, json={"result": [[HIT] if q == "ed wood" else [] for q in body["queries"]]})

    client = _client(handler)
    assert client.search("ed wood", 3) == [Passage(**PASSAGE)]
    assert client.batch_search(["ed wood", "x"], 2) == [[Passage(**PASSAGE)], []]
    assert seen == [
        ("/retrieve", {"queries": ["ed wood"], "topk": 3, "return_scores": True}),
        ("/retrieve", {"queries": ["ed wood", "x"], "topk": 2, "return_scores": True}),
    ]


def test_hits_without_scores_or_ids_and_our_own_hits_are_read():
    plain = [{"contents": '"Ed Wood"\nA filmmaker.\nSecond line.'}]
    assert passages_from_search_r1(plain, "x") == [Passage(id="0", title="Ed Wood", text="A filmmaker.\nSecond line.")]
    ours = search_r1_hits([Passage(**PASSAGE)], with_scores=True)
    assert passages_from_search_r1(ours, "x") == [Passage(**PASSAGE)]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60), st.text(max_size=200), st.floats(allow_nan=False, allow_infinity=False))
def test_our_hits_read_back_as_the_same_passages(title, text, score):
    passage = Passage(id="p", title=title.replace("\n", " "), text=text, score=score)
    for with_scores in (True, False):
        (back,) = passages_from_search_r1(search_r1_hits([passage], with_scores), "x")
        assert back == (passage if with_scores else passage.model_copy(update={"score": None}))


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.integers() | st.text(max_size=20), lambda c: st.lists(c) | st.dictionaries(st.text(), c)))
def test_any_answer_either_reads_or_raises_retrieval_error(hits):
    try:
        passages_from_search_r1(hits, "x")
    except RetrievalError:
        pass


def test_transient_failures_are_retried_then_reported():
    calls = []

    def flaky(request):
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused")
        if len(calls) == 2:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json={"result": [[HIT]]})

    assert _client(flaky, retries=2).search("q")[0].id == "p1" and len(calls) == 3

    def down(request):
        raise httpx.ReadTimeout("timed out")

    with pytest.raises(RetrievalError, match=r"did not answer after 3 attempts \(ReadTimeout: timed out\)"):
        _client(down, retries=2).search("q")
    with pytest.raises(RetrievalError, match=r"did not answer after 1 attempts \(HTTP 503: busy\)"):
        _client(lambda r: httpx.Response(503, text="busy"), retries=0).search("q")


def test_replicas_share_the_queries_and_a_dead_one_is_skipped():
    seen = []

    def handler(request):
        seen.append(request.url.host)
        assert request.headers["host"] == request.url.host  # not the first replica's
        if request.url.host == "b.test":
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json={"result": [[HIT]]})

    both = _client(
        lambda r: (seen.append(r.url.host), httpx.Response(200, json={"result": [[HIT]]}))[1], "http://a.test,http://c.test"
    )
    for _ in range(4):
        both.search("q")
    assert seen == ["a.test", "c.test", "a.test", "c.test"]
    seen.clear()
    client = _client(handler, ["http://a.test", "http://b.test/", "http://c.test"], retries=1)
    assert [client.search("q")[0].id for _ in range(6)] == ["p1"] * 6
    assert seen.count("b.test") == 1  # tried once, then skipped while it is marked down


def test_client_errors_and_bad_answers_are_not_retried():
    calls = []

    def rejecting(request):
        calls.append(1)
        return httpx.Response(422, json={"detail": "topk: too large"})

    with pytest.raises(RetrievalError, match="rejected the request: HTTP 422"):
        _client(rejecting, retries=3).search("q")
    assert len(calls) == 1
    with pytest.raises(RetrievalError, match="without a 'result' list"):
        _client(lambda r: httpx.Response(200, text="<html>")).search("q")
    with pytest.raises(RetrievalError, match="hit 0 has no 'contents' string"):
        _client(lambda r: httpx.Response(200, json={"result": [[{"id": 1}]]})).search("q")
    with pytest.raises(RetrievalError, match="returned 1 result lists for 2 queries"):
        _client(lambda r: httpx.Response(200, json={"result": [[]]})).batch_search(["a", "b"])


def test_queries_are_cleaned_before_sending():
    bodies = []

    def handler(request):
        bodies.append(request.read())
        return httpx.Response(200, json={"result": [[]]})

    _client(handler).search("a\x00b\udce9" + "x" * 5000)
    assert bodies[0].startswith(b'{"queries":["ab?xxx') and len(bodies[0]) < 2100


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="must start with http"):
        HttpRetriever("127.0.0.1:8000")
    with pytest.raises(ConfigError, match="must start with http"):
        HttpRetriever("http://a, b:8000")
    with pytest.raises(ConfigError, match="one or more"):
        HttpRetriever(" , ")
    with pytest.raises(ConfigError, match="timeout_s > 0"):
        HttpRetriever("http://x", timeout_s=0)
