"""The openai policy against a real OpenAI-compatible server: llama.cpp's, on loopback, with the embedded GGUF."""

from __future__ import annotations

import pytest

import agent_gym  # noqa: F401
from agent_gym.baselines.policies import OpenAIPolicy
from agent_gym.rollout import rollout
from tests.baselines.policies.conftest import llama_cpp_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    with llama_cpp_server(tmp_path_factory.mktemp("llama") / "server.log") as server:
        yield server.url


def test_the_openai_policy_plays_real_episodes_against_llama_cpp(server_url):
    policy = OpenAIPolicy(server_url, model="smollm2", max_tokens=48, max_concurrency=2, timeout_s=120)
    episodes = rollout("KeyValueLookup-v0", policy, n_episodes=2, concurrency=2, env_kwargs={"max_turns": 2})
    steps = [s for e in episodes for s in e.steps]
    assert len(episodes) == 2 and len(steps) >= 2
    assert all(s.policy.error is None for s in steps)
    assert all(s.action.strip() for s in steps)  # the model really wrote something
    assert all(e.messages[2] == {"role": "assistant", "content": e.steps[0].action} for e in episodes)


def test_a_prompt_over_the_servers_context_is_a_policy_error_not_a_crash(server_url):
    policy = OpenAIPolicy(server_url, model="smollm2", max_tokens=8, timeout_s=120, max_retries=0)
    history = ({"role": "user", "content": "word " * 3000},)  # > n_ctx = 2048 tokens
    short = ({"role": "user", "content": "Say hi."},)
    long_turn, short_turn = policy.act([history, short])
    assert long_turn.text == "" and "HTTP 400" in long_turn.error
    assert short_turn.error is None and short_turn.text
