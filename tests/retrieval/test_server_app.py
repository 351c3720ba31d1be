"""The server app in-process (no socket): backend failures and streamed bodies."""

from fastapi.testclient import TestClient

from agent_gym.errors import RetrievalError
from agent_gym.retrieval import MemoryRetriever, Passage
from agent_gym.retrieval.server import ServerLimits, create_app


class Broken:
    def search(self, query, k=5):
        raise RetrievalError("index unreadable")

    def batch_search(self, queries, k=5):
        raise RetrievalError("index unreadable")


def test_a_failing_backend_is_a_503_with_its_reason():
    client = TestClient(create_app(Broken()))
    response = client.post("/search", json={"query": "x"})
    assert response.status_code == 503 and response.json() == {"detail": "index unreadable"}
    assert client.post("/batch_search", json={"queries": ["x"]}).status_code == 503


def test_a_streamed_body_over_the_limit_is_a_413():
    app = create_app(MemoryRetriever([Passage(id="a", title="A", text="alpha")]), ServerLimits(max_body_bytes=100))
    client = TestClient(app)

    def chunks():  # no content-length: the limit must hold while the body streams in
        yield b'{"query": "'
        for _ in range(20):
            yield b"alpha alpha "
        yield b'"}'

    response = client.post("/search", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json() == {"detail": "request body exceeds the limit of 100 bytes"}
    assert client.post("/search", json={"query": "alpha"}).json()["passages"][0]["id"] == "a"
