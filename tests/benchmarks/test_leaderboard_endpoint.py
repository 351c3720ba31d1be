"""An OpenAI-compatible endpoint joins the leaderboard as a method (a stub server on loopback answers)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent_gym.cli import leaderboard


class _Stub(BaseHTTPRequestHandler):
    """``/v1/models`` and ``/v1/chat/completions``; the completion answers the key-value question's start key."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._send({"data": [{"id": "stub"}]})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        self._send({"choices": [{"message": {"role": "assistant", "content": "<answer>amber</answer>"}}]})

    def _send(self, payload):
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_endpoint_is_a_leaderboard_method(stub_server, tmp_path, capsys):
    url = f"http://127.0.0.1:{stub_server.server_address[1]}/v1"
    args = [
        "--methods",
        "base-tool-call",
        "--base-policy",
        "oracle",
        "--policy",
        f"{url}#stub",
        "--datasets",
        "KeyValueLookup-v0",
    ]
    assert leaderboard.main([*args, "--limit", "4", "--no-progress", "--out", str(tmp_path)]) == 0
    assert len(stub_server.requests) == 4 and {r["model"] for r in stub_server.requests} == {"stub"}
    assert stub_server.requests[0]["max_tokens"] == 64 and stub_server.requests[0]["temperature"] == 0.0
    summary = json.loads((tmp_path / "summary.json").read_text())
    cell = next(c for c in summary["cells"] if c["method"] == f"policy:{url}#stub")
    assert cell["n"] == 4 and cell["estimates"]["turns"]["mean"] == 1.0
    assert f"Tool Call: stub@127.0.0.1:{stub_server.server_address[1]}" in capsys.readouterr().out
