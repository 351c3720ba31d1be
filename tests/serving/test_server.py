"""The env server in-process (Starlette's test client): OpenEnv's messages and routes, its bounds, its token."""

import json
import time

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agent_gym  # noqa: F401 - registers the envs
from agent_gym.core import AgentEnv
from agent_gym.errors import ConfigError
from agent_gym.serving import EnvServerLimits, create_app
from agent_gym.serving.http_limits import check_bind

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

ENV_ID = "KeyValueLookup-v0"
SLOW_ID = "agent-gym-tests/Slow-v0"


class SlowEnv(AgentEnv):
    """Sleeps on the action "sleep"; ends on "stop"."""

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._start([{"role": "user", "content": "go"}])
        return self._observation(), {}

    def step(self, action):
        self._check_can_step()
        if action == "sleep":
            time.sleep(1.0)
        self._append({"role": "assistant", "content": str(action)[:20]})
        self._episode_over = action == "stop"
        return self._observation(), 0.0, self._episode_over, False, {}


if SLOW_ID not in gym.registry:
    gym.register(id=SLOW_ID, entry_point=SlowEnv)


def _client(env_id=ENV_ID, token=None, **limits):
    return TestClient(create_app(env_id, limits=EnvServerLimits(**limits), token=token))


def _ask(ws, message):
    ws.send_text(json.dumps(message))
    return json.loads(ws.receive_text())


def test_a_session_plays_the_same_episode_as_the_local_env():
    local = gym.make(ENV_ID)
    obs, info = local.reset(seed=3)
    with _client().websocket_connect("/ws") as ws:
        reply = _ask(ws, {"type": "reset", "data": {"seed": 3, "episode_id": "e1"}})
        assert reply["type"] == "observation" and reply["data"]["reward"] is None and reply["data"]["done"] is False
        assert reply["data"]["observation"]["messages"] == list(obs) and reply["data"]["observation"]["offset"] == 0
        assert reply["data"]["observation"]["info"] == json.loads(json.dumps(info))
        history = list(obs)
        for action in ["<tool_call>{not json}</tool_call>", {"role": "assistant", "content": "<answer>x</answer>"}]:
            obs, reward, terminated, truncated, info = local.step(action)
            wire = {"text": action} if isinstance(action, str) else {"message": action}
            data = _ask(ws, {"type": "step", "data": wire})["data"]
            history += data["observation"]["messages"]
            assert history == list(obs) and data["reward"] == reward and data["done"] == (terminated or truncated)
            assert data["observation"]["info"] == json.loads(json.dumps(info))
        state = _ask(ws, {"type": "state"})
        assert state == {
            "type": "state",
            "data": {"episode_id": "e1", "step_count": 2, "env_id": ENV_ID, "done": True, "history": history},
        }
        error = _ask(ws, {"type": "step", "data": {"text": "after the end"}})
        assert error["type"] == "error" and error["data"]["code"] == "EXECUTION_ERROR"
        assert "ResetNeeded: the episode is over" in error["data"]["message"]
        ws.send_text(json.dumps({"type": "close"}))


@pytest.mark.parametrize(
    ("message", "code", "detail"),
    [
        ("{not json", "INVALID_JSON", "invalid JSON"),
        ({"type": "jump"}, "UNKNOWN_TYPE", "unknown message type 'jump'; expected reset, step, state or close"),
        ({"type": "step", "data": {"text": "a", "message": {}}}, "VALIDATION_ERROR", 'exactly one of "text"'),
        ({"type": "step", "data": {"txt": "a"}}, "VALIDATION_ERROR", "txt: Extra inputs are not permitted"),
        ({"type": "reset", "data": {"seed": -1}}, "VALIDATION_ERROR", "seed: Input should be greater than or equal to 0"),
        ({"type": "step", "data": {"text": "x" * 5000}}, "VALIDATION_ERROR", "message over the limit of 4096 bytes"),
        ({"type": "step", "data": {"text": "hi"}}, "EXECUTION_ERROR", "ResetNeeded: Cannot call env.step() before calling env"),
    ],
)
def test_bad_messages_get_an_error_and_the_session_goes_on(message, code, detail):
    with _client(max_message_bytes=4096).websocket_connect("/ws") as ws:
        ws.send_text(message if isinstance(message, str) else json.dumps(message))
        error = json.loads(ws.receive_text())
        assert error["type"] == "error" and error["data"]["code"] == code and detail in error["data"]["message"]
        assert _ask(ws, {"type": "reset", "data": {"seed": 0}})["type"] == "observation"


def test_sessions_past_the_cap_get_openenvs_capacity_error_and_a_closed_slot_is_reused():
    client = _client(max_sessions=1)
    with client.websocket_connect("/ws") as first:
        assert _ask(first, {"type": "reset"})["type"] == "observation"
        with client.websocket_connect("/ws") as second:
            error = json.loads(second.receive_text())
            assert error["data"] == {
                "message": "the server is at capacity (1 sessions); retry later or start another server",
                "code": "CAPACITY_REACHED",
                "active_sessions": 1,
                "max_sessions": 1,
            }
    with client.websocket_connect("/ws") as third:
        assert _ask(third, {"type": "reset"})["type"] == "observation"


def test_idle_sessions_are_closed():
    with _client(idle_timeout_s=0.3).websocket_connect("/ws") as ws:
        assert _ask(ws, {"type": "reset"})["type"] == "observation"
        error = json.loads(ws.receive_text())  # sent after 0.3 s of silence
        assert error["data"] == {"message": "no message for 0.3 s: session closed", "code": "SESSION_ERROR"}
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


def test_a_step_past_the_time_limit_closes_the_session_and_frees_its_slot():
    client = _client(SLOW_ID, step_timeout_s=0.3, max_sessions=1)
    with client.websocket_connect("/ws") as ws:
        _ask(ws, {"type": "reset"})
        started = time.perf_counter()
        error = _ask(ws, {"type": "step", "data": {"text": "sleep"}})
        assert time.perf_counter() - started < 0.9
        assert error["data"]["code"] == "SESSION_ERROR" and "longer than 0.3 s on step" in error["data"]["message"]
    with client.websocket_connect("/ws") as ws:
        assert _ask(ws, {"type": "reset"})["type"] == "observation"


def test_the_http_routes():
    client = _client()
    assert client.get("/health").json() == {"status": "healthy"}
    metadata = client.get("/metadata").json()
    assert metadata["name"] == ENV_ID and metadata["bounds"] == {"max_action_chars": 8192, "max_messages": 32}
    assert set(client.get("/schema").json()) == {"action", "observation", "state"}
    assert client.get("/state").json() == {"episode_id": None, "step_count": 0, "env_id": ENV_ID, "done": True, "history": []}
    local = gym.make(ENV_ID)
    obs, _ = local.reset(seed=5)
    reset = client.post("/reset", json={"seed": 5}).json()
    assert reset["observation"]["messages"] == list(obs) and reset["done"] is False
    obs, reward, *_ = local.step("<answer>x</answer>")
    step = client.post("/step", json={"action": {"text": "<answer>x</answer>"}, "seed": 5}).json()
    assert step["observation"]["messages"] == list(obs) and step["observation"]["offset"] == 0 and step["reward"] == reward
    assert client.post("/reset").status_code == 200
    bad = client.post("/step", json={"action": {"text": "x"}, "sed": 1})
    assert bad.status_code == 422 and bad.json()["detail"] == "invalid request to /step: sed: Extra inputs are not permitted"
    assert client.post("/step", content=b"x" * 5000, headers={"content-type": "application/json"}).status_code == 422
    assert _client(max_message_bytes=4096).post("/step", content=b"x" * 5000).status_code == 413


def test_a_token_is_required_everywhere_but_health():
    client = _client(token="s3cret")
    assert client.get("/health").status_code == 200
    assert client.get("/metadata").status_code == 401
    assert client.get("/metadata", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.post("/reset", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws") as ws:
        ws.receive_text()
    with client.websocket_connect("/ws", headers={"Authorization": "Bearer s3cret"}) as ws:
        assert _ask(ws, {"type": "reset"})["type"] == "observation"


def test_binding_beyond_loopback_needs_a_token():
    check_bind("127.0.0.1", None, "x")
    check_bind("0.0.0.0", "t", "x")
    with pytest.raises(ConfigError, match=r"serving X on 0.0.0.0 would be reachable from other machines: give a token"):
        check_bind("0.0.0.0", None, "serving X")


def test_the_cli_refuses_a_public_bind_without_a_token_and_an_unknown_env(monkeypatch, capsys):
    from agent_gym.cli.main import main

    monkeypatch.delenv("AGENT_GYM_TOKEN", raising=False)
    assert main(["serve-env", ENV_ID, "--host", "0.0.0.0"]) == 2
    assert "reachable from other machines: give a token" in capsys.readouterr().err
    assert main(["serve-env", "KeyValueLookup-v9"]) == 2
    assert "Did you mean 'KeyValueLookup-v0'?" in capsys.readouterr().err
    assert main(["serve-env", ENV_ID, "--max-sessions", "0"]) == 2
    assert "--max-sessions: Input should be greater than or equal to 1" in capsys.readouterr().err


@pytest.fixture(scope="module")
def session():
    with _client().websocket_connect("/ws") as ws:
        _ask(ws, {"type": "reset", "data": {"seed": 0}})
        yield ws


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_action_is_stepped_never_an_error(session, text):
    reply = _ask(session, {"type": "step", "data": {"text": text}})
    assert reply["type"] == "observation", reply
    if reply["data"]["done"]:
        _ask(session, {"type": "reset"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(max_size=300)
    | st.builds(
        json.dumps,
        st.dictionaries(st.sampled_from(["type", "data", "x"]), st.text()).filter(lambda message: message.get("type") != "close"),
    )
)
def test_any_message_gets_an_answer_and_the_session_survives(session, raw):
    session.send_text(raw)
    assert json.loads(session.receive_text())["type"] in ("observation", "state", "error")
