"""OpenAIPolicy against httpx.MockTransport: answers, native tool calls, retries, errors, concurrency limit."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest

import agent_gym  # noqa: F401
from agent_gym.baselines.policies import OpenAIPolicy
from agent_gym.errors import ConfigError
from agent_gym.rollout import RolloutEngine
from tests.baselines.policies.conftest import HISTORY


def completion(content="<answer>Paris</answer>", tool_calls=None):
    message = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def policy_with(handler, **options):
    options = {"backoff_s": 0.0, "max_retries": 2, **options}
    return OpenAIPolicy("http://test/v1", model="m", transport=httpx.MockTransport(handler), **options)


def test_a_completion_becomes_a_turn_and_the_request_is_what_the_server_expects():
    seen = []

    def handler(request):
        seen.append((request.url.path, json.loads(request.content), request.headers["authorization"]))
        return httpx.Response(200, json=completion())

    turn = policy_with(handler, api_key="k", max_tokens=7).act([HISTORY], seeds=[5])[0]
    assert turn.text == "<answer>Paris</answer>" and turn.error is None and turn.message is None
    path, body, auth = seen[0]
    assert path == "/v1/chat/completions" and auth == "Bearer k"
    assert body == {"model": "m", "messages": list(HISTORY), "temperature": 0.0, "max_tokens": 7, "seed": 5}


def test_native_tool_calls_are_sent_and_returned_and_the_env_runs_them():
    calls = [{"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"key": "zz-1"}'}}]
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        turn = len([m for m in bodies[-1]["messages"] if m["role"] == "assistant"])
        return httpx.Response(200, json=completion(None, calls) if turn == 0 else completion("<answer>x</answer>"))

    policy = policy_with(handler, native_tools=True)
    (episode,) = RolloutEngine("KeyValueLookup-v0", policy).run([0])
    assert bodies[0]["tools"][0]["function"]["name"] == "lookup"
    assert episode.messages[2]["tool_calls"] == calls
    assert episode.messages[3] == {"role": "tool", "content": "No key 'zz-1' exists.", "tool_call_id": "c1", "name": "lookup"}
    assert episode.steps[0].info["tool_calls"][0]["arguments"] == {"key": "zz-1"}


@pytest.mark.parametrize(
    "failure",
    [
        lambda: httpx.Response(500, text="boom"),
        lambda: httpx.Response(503, text="busy"),
        lambda: httpx.Response(429, text="slow down"),
        lambda: httpx.Response(200, text="{not json"),
        lambda: httpx.Response(200, json={"choices": []}),
        lambda: httpx.Response(200, json={"choices": [{"message": {"content": 3}}]}),
    ],
    ids=["500", "503", "429", "malformed-json", "no-choices", "bad-content"],
)
def test_retryable_failures_are_retried_then_succeed(failure):
    attempts = []

    def handler(request):
        attempts.append(1)
        return failure() if len(attempts) < 3 else httpx.Response(200, json=completion())

    policy = policy_with(handler)
    assert policy.act([HISTORY])[0].text == "<answer>Paris</answer>"
    assert len(attempts) == 3 == policy.requests_sent


def test_a_server_that_keeps_failing_gives_an_error_turn_after_the_retries():
    policy = policy_with(lambda request: httpx.Response(500, text="boom"), max_retries=3)
    turn = policy.act([HISTORY])[0]
    assert turn.text == "" and policy.requests_sent == 4
    assert turn.error == "http://test/v1/chat/completions failed after 4 attempts; last: HTTP 500: boom"


def test_a_client_error_is_not_retried():
    policy = policy_with(lambda request: httpx.Response(400, text="bad model"))
    turn = policy.act([HISTORY])[0]
    assert turn.error == "http://test/v1 answered HTTP 400: bad model" and policy.requests_sent == 1


def test_timeouts_are_retried_with_backoff():
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)

    policy = policy_with(handler, max_retries=2, backoff_s=0.05)
    started = time.perf_counter()
    turn = policy.act([HISTORY])[0]
    assert time.perf_counter() - started >= 0.05 + 0.1  # backoff 0.05 s, then 0.1 s
    assert turn.error.endswith("last: ReadTimeout: timed out") and policy.requests_sent == 3


def test_a_server_that_is_down_gives_error_turns_and_the_rollout_finishes():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = OpenAIPolicy(f"http://127.0.0.1:{port}/v1", max_retries=1, backoff_s=0.0, timeout_s=2)
    episodes = RolloutEngine("KeyValueLookup-v0", policy, concurrency=2).run([0, 1])
    assert all(e.truncated for e in episodes)
    errors = [s.policy.error for e in episodes for s in e.steps]
    assert errors and all("ConnectError" in error for error in errors)


def test_no_more_than_max_concurrency_requests_are_in_flight():
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def handler(request):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json=completion())

    turns = policy_with(handler, max_concurrency=3).act([HISTORY] * 10)
    assert len(turns) == 10 and state["peak"] == 3


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="need max_concurrency >= 1"):
        OpenAIPolicy(max_concurrency=0)
