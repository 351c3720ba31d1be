"""EndpointPool: least outstanding for an episode's first turn, sticky after, health, failover; then two real
llama.cpp servers on loopback with one killed mid-run."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

import agent_gym  # noqa: F401
from agent_gym.baselines.policies import OpenAIPolicy
from agent_gym.baselines.policies.endpoint_pool import EndpointPool
from agent_gym.rollout import RolloutEngine
from tests.baselines.policies.conftest import llama_cpp_server

COMPLETION = {"choices": [{"message": {"role": "assistant", "content": "<answer>x</answer>"}}]}


def _body(question: str, turn: int = 0) -> dict:
    opening = [{"role": "system", "content": "s"}, {"role": "user", "content": question}]
    return {"messages": opening + [{"role": "assistant", "content": "a"}, {"role": "tool", "content": "t"}] * turn}


class Servers:
    """Fake servers a and b: records who got what; ``down`` refuse connections; ``hold`` blocks until released."""

    def __init__(self):
        self.log: list[tuple[str, str]] = []
        self.down: set[str] = set()
        self.hold: dict[str, threading.Event] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": []})
        question = json.loads(request.content)["messages"][1]["content"]
        self.log.append((host, question))
        if host in self.hold:
            self.hold[host].wait(5)
        return httpx.Response(200, json=COMPLETION)


def _pool(servers: Servers, **kwargs) -> tuple[EndpointPool, httpx.Client]:
    pool = EndpointPool(["http://a/v1", "http://b/v1"], transport=httpx.MockTransport(servers), **kwargs)
    return pool, httpx.Client(base_url="http://a/v1", transport=pool)


def test_an_episodes_first_turn_goes_to_the_server_with_the_fewest_requests_in_flight():
    servers = Servers()
    servers.hold["a"] = threading.Event()
    pool, client = _pool(servers)
    busy = threading.Thread(target=client.post, args=("/chat/completions",), kwargs={"json": _body("q1")})
    busy.start()
    while pool.outstanding["http://a/v1"] == 0:
        threading.Event().wait(0.01)
    client.post("/chat/completions", json=_body("q2"))  # a has one in flight: b
    client.post("/chat/completions", json=_body("q3"))  # a still busy: b again
    servers.hold["a"].set()
    busy.join()
    client.post("/chat/completions", json=_body("q4"))  # nothing in flight: a holds fewer episodes
    assert servers.log == [("a", "q1"), ("b", "q2"), ("b", "q3"), ("a", "q4")]
    assert pool.assignments() == {"http://a/v1": 2, "http://b/v1": 2}


def test_later_turns_stick_to_the_episodes_server_and_move_once_when_it_dies():
    servers = Servers()
    pool, client = _pool(servers, recheck_s=3600)
    for question in ("q1", "q2"):
        client.post("/chat/completions", json=_body(question))
    client.post("/chat/completions", json=_body("q2", turn=1))
    servers.down.add("b")
    for turn in (2, 3):
        assert client.post("/chat/completions", json=_body("q2", turn=turn)).status_code == 200
    assert servers.log == [("a", "q1"), ("b", "q2"), ("b", "q2"), ("a", "q2"), ("a", "q2")]
    assert pool.failovers == 1 and pool.sent == {"http://a/v1": 3, "http://b/v1": 3}


def test_a_down_server_is_probed_again_and_takes_new_episodes_once_it_answers():
    servers = Servers()
    servers.down.add("a")
    pool, client = _pool(servers, recheck_s=0)
    assert pool.health() == {"http://a/v1": False, "http://b/v1": True}
    client.post("/chat/completions", json=_body("q1"))
    servers.down.clear()
    client.post("/chat/completions", json=_body("q2"))
    assert servers.log == [("b", "q1"), ("a", "q2")]


def test_every_server_down_is_the_retry_rules_error_and_a_policy_error_not_a_crash():
    servers = Servers()
    servers.down.update({"a", "b"})
    policy = OpenAIPolicy("http://a/v1,http://b/v1", max_retries=1, backoff_s=0, transport=httpx.MockTransport(servers))
    turn = policy.act([tuple(_body("q1")["messages"])])[0]
    assert turn.text == "" and "ConnectError" in turn.error
    assert policy.pool is not None and policy.requests_sent == 2


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_llama_cpp_servers_one_killed_mid_run_lose_no_turn(tmp_path):
    with llama_cpp_server(tmp_path / "a.log") as a, llama_cpp_server(tmp_path / "b.log") as b:
        policy = OpenAIPolicy(f"{a.url},{b.url}", model="smollm2", max_tokens=16, max_concurrency=4, timeout_s=120)
        sent_before_kill: dict[str, int] = {}

        def kill_b_once_four_requests_went_out(episode):
            if not sent_before_kill and sum(policy.pool.sent.values()) >= 4:
                sent_before_kill.update(policy.pool.sent)
                b.process.kill()

        engine = RolloutEngine("MultiHopQA-v0", policy, concurrency=4, env_kwargs={"max_turns": 2})
        episodes = engine.run(range(8), on_episode=kill_b_once_four_requests_went_out)
        b.process.wait(10)
        assert policy.pool.health() == {a.url: True, b.url: False}
        steps = [s for e in episodes for s in e.steps]
    assert [e.seed for e in episodes] == list(range(8))
    assert all(s.policy.error is None for s in steps), [s.policy.error for s in steps]
    assert sent_before_kill[b.url] > 0 and sent_before_kill[a.url] > 0  # both served before the kill
    assert policy.pool.sent[a.url] > sent_before_kill[a.url]  # and a carried on alone


def test_the_rollout_command_takes_several_servers_as_one_policy(tmp_path, capsys):
    from agent_gym.cli.main import main
    from agent_gym.rollout import read_episodes

    spec = "http://127.0.0.1:9/v1,http://127.0.0.1:19/v1#smollm2"  # nothing listens: every turn is a policy error
    out = tmp_path / "x.jsonl"
    argv = ["rollout", "KeyValueLookup-v0", "--policy", spec, "-p", "max_retries=0", "-n", "1", "-o", str(out), "--no-progress"]
    assert main(argv) == 0
    steps = next(read_episodes(out)).steps
    assert steps and all("ConnectError" in s.policy.error for s in steps)
    assert f"{len(steps)} policy errors" in capsys.readouterr().out
