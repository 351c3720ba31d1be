"""The openai policy against a real OpenAI-compatible server: llama.cpp's, on loopback, with the embedded GGUF."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from agent_gym.baselines.policies import OpenAIPolicy
from agent_gym.baselines.policies.embedded import embedded_gguf

import agent_gym  # noqa: F401
from agent_gym.rollout import rollout

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    pytest.importorskip("llama_cpp.server", reason="needs the llamacpp extra: pip install '.[llamacpp]'")
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(embedded_gguf()),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    command += ["--n_ctx", "2048", "--model_alias", "smollm2"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer on {url} within 120 s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_the_openai_policy_plays_real_episodes_against_llama_cpp(server_url):
    policy = OpenAIPolicy(server_url, model="smollm2", max_tokens=48, max_concurrency=2, timeout_s=120)
    episodes = rollout("KeyValueLookup-v0", policy, n_episodes=2, concurrency=2, env_kwargs={"max_turns": 2})
    steps = [s for e in episodes for s in e.steps]
    assert len(episodes) == 2 and len(steps) >= 2
    assert all(s.info["policy"]["error"] is None for s in steps)
    assert all(s.action.strip() for s in steps)  # the model really wrote something
    assert all(e.messages[2] == {"role": "assistant", "content": e.steps[0].action} for e in episodes)


def test_a_prompt_over_the_servers_context_is_a_policy_error_not_a_crash(server_url):
    policy = OpenAIPolicy(server_url, model="smollm2", max_tokens=8, timeout_s=120, max_retries=0)
    history = ({"role": "user", "content": "word " * 3000},)  # > n_ctx = 2048 tokens
    short = ({"role": "user", "content": "Say hi."},)
    long_turn, short_turn = policy.act([history, short])
    assert long_turn.text == "" and "HTTP 400" in long_turn.error
    assert short_turn.error is None and short_turn.text
