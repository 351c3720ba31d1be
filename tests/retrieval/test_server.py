"""The retrieval server, run for real on 127.0.0.1 in a child process."""

import threading

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_gym.retrieval import HttpRetriever
from agent_gym.retrieval.server import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    args = ["--dataset", "musique", "--max-batch", "8", "--max-body-bytes", "20000", "--max-query-chars", "500"]
    with ServerProcess(args, env={"AGENT_GYM_CACHE": str(cache)}) as running:
        yield running


def test_health_search_and_batch_search(server):
    health = httpx.get(f"{server.url}/health").json()
    assert health["status"] == "ok" and health["passages"] == 4543
    client = HttpRetriever(server.url)
    hits = client.search("Van Hook Township", 3)
    assert hits[0].title == "Van Hook Township, Mountrail County, North Dakota" and len(hits) == 3
    assert client.batch_search(["Van Hook Township", "the of"], 3) == [hits, []]


def test_a_search_r1_client_gets_results_on_retrieve(server):
    # What Search-R1's generation loop sends and reads (its `_batch_search` and `_passages2string`).
    for return_scores in (True, False):
        payload = {"queries": ["Van Hook Township", "the of"], "topk": 3, "return_scores": return_scores}
        result = httpx.post(f"{server.url}/retrieve", json=payload).json()["result"]
        first = result[0][0]["document"] if return_scores else result[0][0]
        assert first["contents"].split("\n")[0] == '"Van Hook Township, Mountrail County, North Dakota"'
        assert len(result[0]) == 3 and result[1] == []
    assert len(httpx.post(f"{server.url}/retrieve", json={"queries": ["Van Hook"]}).json()["result"][0]) == 3


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        ("/search", {"query": "x", "k": 1000}, 422, "k: Input should be less than or equal to 100"),
        ("/search", {"query": "x" * 501}, 422, "query: String should have at most 500 characters"),
        ("/search", {"query": 3}, 422, "query: Input should be a valid string"),
        ("/search", {"q": "x"}, 422, "query: Field required"),
        ("/batch_search", {"queries": ["x"] * 9}, 422, "queries: List should have at most 8 items"),
        ("/retrieve", {"queries": ["x"] * 9}, 422, "queries: List should have at most 8 items"),
        ("/retrieve", {"queries": ["x"], "topk": 101}, 422, "topk: Input should be less than or equal to 100"),
        ("/search", {"query": "x" * 30000}, 413, "request body of 30012 bytes exceeds the limit of 20000"),
    ],
)
def test_bad_requests_get_clear_4xx_answers(server, path, body, status, detail):
    response = httpx.post(f"{server.url}{path}", json=body)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_malformed_json_is_a_422(server):
    response = httpx.post(f"{server.url}/search", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "invalid request to /search" in response.json()["detail"]


def test_16_concurrent_clients_200_requests_each_without_error(server):
    expected = HttpRetriever(server.url).search("Mountrail County seat", 5)
    errors, wrong, done = [], [], []

    def client(worker):
        retriever = HttpRetriever(server.url, retries=0, timeout_s=30)
        for i in range(200):
            try:
                if i % 50 == 0:
                    if retriever.search("Mountrail County seat", 5) != expected:
                        wrong.append((worker, i))
                else:
                    retriever.search(f"question {worker} {i} county township", 5)
                done.append(1)
            except Exception as exc:  # any failure counts
                errors.append(repr(exc))
        retriever.close()

    threads = [threading.Thread(target=client, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and wrong == [] and len(done) == 16 * 200


@settings(max_examples=60)
@given(query=st.text(max_size=600), k=st.integers(min_value=-3, max_value=120))
def test_any_query_gets_an_answer_or_a_4xx_never_a_5xx(server, query, k):
    response = httpx.post(f"{server.url}/search", json={"query": query, "k": k})
    if len(query) <= 500 and 1 <= k <= 100:
        assert response.status_code == 200 and len(response.json()["passages"]) <= k
    else:
        assert response.status_code == 422
