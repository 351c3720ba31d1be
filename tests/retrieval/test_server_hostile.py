"""The retrieval server against slow and hostile clients, run for real on 127.0.0.1 (raw sockets where HTTP clients
would behave): every connection is freed within its timeout, every bad body gets a short 4xx, nothing is exposed."""

import json
import socket
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from agent_gym.retrieval import HttpRetriever, MemoryRetriever, Passage
from agent_gym.retrieval.server import ServerProcess, create_app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(30)]

HEADER_TIMEOUT_S = BODY_TIMEOUT_S = 1.0
SLACK_S = 2.5  # a loaded 2-core machine: the server may answer late, never early
EARLY_S = 0.5  # how much of a timeout may pass between the server's timer starting and the test's clock starting


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    corpus = folder / "corpus.jsonl"
    rows = [("paris", "Paris", "Paris is the capital of France."), ("wood", "Ed Wood", "Ed Wood was an American director.")]
    corpus.write_text("".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in rows))
    args = ["--corpus", str(corpus), "--header-timeout-s", str(HEADER_TIMEOUT_S), "--body-timeout-s", str(BODY_TIMEOUT_S)]
    with ServerProcess(args, env={"AGENT_GYM_CACHE": str(folder / "cache")}) as running:
        yield running


@pytest.fixture()
def still_serving(server):
    """After the test, the server still answers a well-behaved client."""
    yield server
    assert HttpRetriever(server.url, retries=0).search("capital of France", 1)[0].id == "paris"


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=BODY_TIMEOUT_S + 3 * SLACK_S)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a socket timeout fails the test)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def closed_after(sock: socket.socket, trickle: bytes = b"") -> float:
    """Seconds until the server closes ``sock``, sending it one byte of ``trickle`` every 0.1 s meanwhile."""
    start = time.monotonic()
    sock.settimeout(0.1)
    for i in range(int(10 * (HEADER_TIMEOUT_S + 3 * SLACK_S))):
        try:
            if i < len(trickle):
                sock.send(trickle[i : i + 1])
            if sock.recv(1024) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    pytest.fail("the server kept the connection open")


def test_20_silent_clients_are_disconnected_after_the_header_timeout(still_serving):
    start = time.monotonic()  # before the first connection opens: its timer starts then
    sockets = [connect(still_serving) for _ in range(20)]
    try:
        for sock in sockets:
            assert read_until_closed(sock) == b""
        assert HEADER_TIMEOUT_S <= time.monotonic() - start <= HEADER_TIMEOUT_S + SLACK_S
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.parametrize("after_a_response", [False, True], ids=["first-request", "kept-alive"])
def test_a_request_head_trickled_a_byte_at_a_time_is_cut_off(still_serving, after_a_response):
    with connect(still_serving) as sock:
        if after_a_response:  # the timer restarts after each response, and bytes received do not restart it
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
        seconds = closed_after(sock, trickle=b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200)
    assert HEADER_TIMEOUT_S - EARLY_S <= seconds <= HEADER_TIMEOUT_S + SLACK_S


BODY_408 = (
    f'{{"detail": "request body not received within {BODY_TIMEOUT_S:g} s; '
    'send all of it (as many bytes as its Content-Length says) without pausing"}'
).encode()


def test_a_body_shorter_than_its_content_length_gets_a_408_and_the_connection_is_closed(still_serving):
    with connect(still_serving) as sock:
        sock.sendall(b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        start = time.monotonic()
        sock.sendall(b'{"query": ')
        response = read_until_closed(sock)
        seconds = time.monotonic() - start
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 Request Timeout") and b"connection: close" in head.lower()
    assert body == BODY_408
    assert BODY_TIMEOUT_S - EARLY_S <= seconds <= BODY_TIMEOUT_S + SLACK_S


def test_a_body_trickled_a_byte_at_a_time_gets_a_408(still_serving):
    body = b'{"query": "capital of France", "k": 1}'
    with connect(still_serving) as sock:
        sock.sendall(b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body))
        start = time.monotonic()
        received = b""
        sock.settimeout(0.1)
        for i in range(len(body)):  # 3.7 s of trickle: much longer than the timeout
            sock.send(body[i : i + 1])
            try:
                received = sock.recv(65536)
                break
            except TimeoutError:
                continue
        seconds = time.monotonic() - start
        # the head and the body may come in separate reads: read on until the server closes the connection
        sock.settimeout(BODY_TIMEOUT_S + 3 * SLACK_S)
        received += read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 408 Request Timeout") and received.endswith(BODY_408)
    assert BODY_TIMEOUT_S - EARLY_S <= seconds <= BODY_TIMEOUT_S + SLACK_S


@pytest.mark.parametrize("path", ["/search", "/batch_search"])
@pytest.mark.parametrize("k", ["5", True, 5.0], ids=["string", "bool", "float"])
def test_k_must_be_a_json_integer(still_serving, path, k):
    query = {"query": "paris"} if path == "/search" else {"queries": ["paris"]}
    response = httpx.post(f"{still_serving.url}{path}", json={**query, "k": k})
    assert response.status_code == 422
    assert response.json() == {"detail": f"invalid request to {path}: k: Input should be a valid integer"}
    assert httpx.post(f"{still_serving.url}{path}", json={**query, "k": 5}).status_code == 200


def test_a_body_that_is_not_utf8_gets_a_422_that_says_so(still_serving):
    response = httpx.post(f"{still_serving.url}/search", content=b'{"query": "caf\xe9"}')
    assert response.status_code == 422
    assert response.json() == {"detail": "invalid request to /search: body is not UTF-8 (byte 14); send JSON encoded as UTF-8"}


def test_80k_extra_keys_get_a_422_of_a_few_hundred_bytes(still_serving):
    body = {"query": "paris", **{f"x{i}": 0 for i in range(80_000)}}
    response = httpx.post(f"{still_serving.url}/search", json=body, timeout=30)
    assert response.status_code == 422 and len(response.content) < 500
    problems = "; ".join(f"x{i}: Extra inputs are not permitted" for i in range(5))
    assert response.json() == {"detail": f"invalid request to /search: {problems}; and 79995 more"}


def test_a_long_field_name_is_clipped_in_the_422(still_serving):
    response = httpx.post(f"{still_serving.url}/search", json={"query": "paris", "y" * 100_000: 0})
    assert response.status_code == 422
    assert response.json() == {"detail": f"invalid request to /search: {'y' * 197}..."}


def test_a_body_over_the_limit_is_refused_before_it_is_read(still_serving):
    with connect(still_serving) as sock:
        sock.sendall(b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n")
        response = read_until_closed(sock)  # answered and closed without waiting for 5 MB
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"connection: close" in head.lower()
    assert json.loads(body) == {"detail": "request body of 5000000 bytes exceeds the limit of 1000000"}


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_api_pages_are_not_served_by_default(still_serving, path):
    assert httpx.get(f"{still_serving.url}{path}").status_code == 404


def test_api_pages_are_served_on_request():
    client = TestClient(create_app(MemoryRetriever([Passage(id="a", title="A", text="alpha")]), docs=True))
    assert client.get("/docs").status_code == client.get("/redoc").status_code == 200
    assert set(client.get("/openapi.json").json()["paths"]) == {"/health", "/search", "/batch_search", "/retrieve"}
