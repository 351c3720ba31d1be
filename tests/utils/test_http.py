"""RetryTransport: the one retry rule of agent-gym's HTTP clients (statuses, transport errors, accept, replicas)."""

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_gym.errors import ConfigError
from agent_gym.utils.http import RetryPolicy, RetryTransport, split_urls


def _client(answers, retries=2, replicas=None, accept=None):
    """A client whose server answers from ``answers`` (responses, or exceptions to raise); the waits it slept."""
    answers, waits, seen = list(answers), [], []

    def handler(request):
        seen.append(str(request.url))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    policy = RetryPolicy(retries=retries, backoff_s=0.1, max_backoff_s=0.25)
    transport = RetryTransport(
        policy, transport=httpx.MockTransport(handler), replicas=replicas, accept=accept, sleep=waits.append
    )
    base = replicas[0] if replicas else "http://a.test"
    return httpx.Client(base_url=base, transport=transport), transport, waits, seen


def test_busy_answers_and_transport_errors_are_retried_with_doubling_waits():
    client, transport, waits, _ = _client([httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200)], retries=3)
    assert client.get("/x").status_code == 200
    assert transport.attempts == 3 and waits == [0.1, 0.2]


def test_after_the_last_attempt_the_answer_or_the_error_is_the_callers():
    client, transport, waits, _ = _client([httpx.Response(429)] * 3)
    assert client.get("/x").status_code == 429 and transport.attempts == 3 and waits == [0.1, 0.2]
    client, *_ = _client([httpx.ReadTimeout("slow")] * 3)
    with pytest.raises(httpx.ReadTimeout, match="slow"):
        client.get("/x")


def test_client_errors_are_not_retried_and_accept_retries_a_bad_success():
    client, transport, *_ = _client([httpx.Response(400), httpx.Response(200)])
    assert client.get("/x").status_code == 400 and transport.attempts == 1
    answers = [httpx.Response(200, text="<html>"), httpx.Response(200, json={"ok": 1})]
    client, transport, *_ = _client(answers, accept=lambda response: response.text.startswith("{"))
    assert client.get("/x").json() == {"ok": 1} and transport.attempts == 2


def test_replicas_take_turns_and_a_failed_one_is_skipped_while_down():
    answers = [httpx.Response(200), httpx.ConnectError("refused"), httpx.Response(200), httpx.Response(200), httpx.Response(200)]
    client, _, _, seen = _client(answers, replicas=["http://a.test/v1", "http://b.test/v1"])
    for _ in range(4):
        assert client.post("/x?q=1", json={"k": 1}).status_code == 200
    assert seen == [
        "http://a.test/v1/x?q=1",
        "http://b.test/v1/x?q=1",  # refused: retried on a, and b is skipped from now on
        "http://a.test/v1/x?q=1",
        "http://a.test/v1/x?q=1",
        "http://a.test/v1/x?q=1",
    ]


def test_bad_urls_and_policies_are_refused():
    with pytest.raises(ConfigError, match="must start with http"):
        split_urls("ftp://x")
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        RetryPolicy(retries=-1)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([200, 400, 404, 429, 500, 503, "error"]), min_size=1, max_size=6), st.integers(0, 4))
def test_attempts_never_exceed_one_plus_retries_and_stop_at_the_first_final_answer(outcomes, retries):
    answers = [httpx.ConnectError("x") if o == "error" else httpx.Response(o) for o in outcomes] + [httpx.Response(200)] * 6
    client, transport, *_ = _client(answers, retries=retries)
    try:
        client.get("/x")
    except httpx.ConnectError:
        pass
    retryable = [o == "error" or o in RetryPolicy().retry_status for o in outcomes + [200] * 6]
    first_final = retryable.index(False) if False in retryable else len(retryable)
    assert transport.attempts == min(retries + 1, first_final + 1)
