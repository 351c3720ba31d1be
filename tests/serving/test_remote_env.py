"""agent-gym/Remote-v0 against ``agent-gym serve-env`` in a child process: the same episodes as the local env,
the env checker over the network, and a server that dies or hangs mid-episode."""

import json
import os
import signal
import time

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401 - registers the envs
from agent_gym.errors import RemoteEnvError, ResetNeeded
from agent_gym.rollout import RolloutEngine
from agent_gym.serving import EnvServerProcess
from agent_gym.testing import ScriptedPolicy, adversarial_actions, schema_calls
from agent_gym.utils import check_env

pytest.importorskip("websockets")
pytestmark = pytest.mark.slow

ENV_ID = "MultiHopQA-v0"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cache = {"AGENT_GYM_CACHE": str(tmp_path_factory.mktemp("cache"))}
    with EnvServerProcess([ENV_ID, "--max-sessions", "4"], env=cache, startup_timeout_s=300) as running:
        yield running


def _remote(server, **kwargs):
    return gym.make("agent-gym/Remote-v0", url=server.url, env_id=ENV_ID, **kwargs)


def _transcript(env, seeds_and_tasks, turns):
    """Episodes as canonical JSON: each reset (seed, task), then the turns until the episode ends."""
    lines = []
    for seed, task in seeds_and_tasks:
        obs, info = env.reset(seed=seed, options=task)
        lines.append(json.dumps([obs, info], sort_keys=True))
        for action in turns:
            obs, reward, terminated, truncated, info = env.step(action)
            lines.append(json.dumps([obs, reward, terminated, truncated, info], sort_keys=True))
            if terminated or truncated:
                break
    return lines


def test_same_seed_task_and_actions_give_the_same_episode_as_the_local_env(server):
    local = gym.make(ENV_ID)
    turns = schema_calls(local.unwrapped) * 2 + adversarial_actions(["search"]) + ["<answer>Paris</answer>"]
    episodes = [(0, None), (7, {"index": 3}), (None, None), (7, {"index": 3})]  # None: the seeded stream goes on
    remote = _remote(server)
    assert _transcript(remote, episodes, turns) == _transcript(local, episodes, turns)
    assert remote.unwrapped.tool_schemas == local.unwrapped.tool_schemas  # what native-tool policies send
    remote.close()


def test_the_rollout_engine_gets_the_same_episodes_over_the_network(server):
    search = '<tool_call>{"name": "search", "arguments": {"query": "first director"}}</tool_call>'
    policy = ScriptedPolicy([search, search, "<answer>yes</answer>"])
    tasks = [{"index": i} for i in range(3)]
    local = RolloutEngine(ENV_ID, policy, concurrency=2).run([0, 1, 2], options=tasks)
    remote = RolloutEngine(lambda: _remote(server), policy, concurrency=2).run([0, 1, 2], options=tasks)
    strip = {"env_id"}  # the engine names the env by its gym id: "agent-gym/Remote-v0" there
    assert [e.model_dump(exclude=strip) for e in remote] == [e.model_dump(exclude=strip) for e in local]


def test_the_remote_env_passes_the_env_checker(server):
    check_env(_remote(server))


def test_unreachable_servers_and_wrong_env_ids_are_clear_errors(server):
    with pytest.raises(RemoteEnvError, match=r"cannot reach the env server at http://127.0.0.1:1: ConnectError"):
        gym.make("agent-gym/Remote-v0", url="http://127.0.0.1:1", timeout_s=2)
    with pytest.raises(RemoteEnvError, match=r"serves 'MultiHopQA-v0', not 'HotpotQA-v0'"):
        gym.make("agent-gym/Remote-v0", url=server.url, env_id="HotpotQA-v0")


def _started(tmp_path):
    """A server of a data-free env (quick to start) and a client two turns into an episode."""
    process = EnvServerProcess(["KeyValueLookup-v0"], env={"AGENT_GYM_CACHE": str(tmp_path)}, startup_timeout_s=300).start()
    env = gym.make("agent-gym/Remote-v0", url=process.url, env_id="KeyValueLookup-v0", timeout_s=2)
    env.reset(seed=0)
    env.step("<search>first</search>")
    return process, env


def test_a_server_killed_mid_episode_is_a_clear_error_within_the_timeout(tmp_path):
    process, env = _started(tmp_path)
    process.stop()  # SIGKILL, as a crash
    started = time.perf_counter()
    with pytest.raises(RemoteEnvError, match=r"went away during a step .* the episode is lost \(reset\(\) opens a new session\)"):
        env.step("<search>second</search>")
    assert time.perf_counter() - started < 2.5
    with pytest.raises(ResetNeeded):
        env.step("again")
    with pytest.raises(RemoteEnvError, match="cannot connect to the env server"):
        env.reset(seed=1)
    env.close()


def test_a_server_that_hangs_mid_episode_is_a_clear_error_within_the_timeout(tmp_path):
    process, env = _started(tmp_path)
    os.kill(process.process.pid, signal.SIGSTOP)
    try:
        started = time.perf_counter()
        with pytest.raises(RemoteEnvError, match=r"did not answer a step within 2 s; the episode is lost"):
            env.step("<search>second</search>")
        assert time.perf_counter() - started < 3.0
    finally:
        os.kill(process.process.pid, signal.SIGCONT)
        process.stop()
    env.close()


def test_a_users_own_env_class_is_served_too(tmp_path):
    from agent_gym.testing import ArithmeticEnv

    spec = "agent_gym.testing:ArithmeticEnv"
    with EnvServerProcess([spec], env={"AGENT_GYM_CACHE": str(tmp_path)}) as process:
        remote = gym.make("agent-gym/Remote-v0", url=process.url, env_id=spec)
        turns = schema_calls(ArithmeticEnv()) + ["<answer>4</answer>"]
        assert _transcript(remote, [(1, None)], turns) == _transcript(ArithmeticEnv(), [(1, None)], turns)
        remote.close()


def test_messages_over_the_size_limit_are_clear_errors(tmp_path):
    args = ["KeyValueLookup-v0", "--max-message-bytes", "4096"]
    with EnvServerProcess(args, env={"AGENT_GYM_CACHE": str(tmp_path)}) as process:
        env = gym.make("agent-gym/Remote-v0", url=process.url, timeout_s=10)
        env.reset(seed=0)
        with pytest.raises(RemoteEnvError, match="VALIDATION_ERROR: message over the limit of 4096 bytes"):
            env.step("x" * 5000)
        env.step("the session goes on")
        calls = [{"type": "function", "function": {"name": "lookup", "arguments": "{}" + " " * 100}}] * 200
        with pytest.raises(RemoteEnvError, match=r"went away during a step \(ConnectionClosedError: received 1009"):
            env.step({"role": "assistant", "content": "", "tool_calls": calls})  # over 4x the limit: the protocol cuts it
        env.close()
