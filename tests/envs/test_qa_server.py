"""A QA env searching through a real retrieval server on loopback: the server dies mid-episode and comes back."""

import json

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401
from agent_gym.retrieval.server import ServerProcess

pytestmark = pytest.mark.slow


def search(query):
    return f"<tool_call>{json.dumps({'name': 'search', 'arguments': {'query': query}})}</tool_call>"


def test_server_killed_mid_episode_gives_tool_errors_then_recovers(tmp_path):
    server = ServerProcess(["--dataset", "musique"], env={"AGENT_GYM_CACHE": str(tmp_path)}).start()
    try:
        options = {"retries": 1, "backoff_s": 0.05, "timeout_s": 5.0}
        env = gym.make("MuSiQue-v0", retriever=server.url, retriever_options=options, reward="process", max_turns=10)
        local = gym.make("MuSiQue-v0").unwrapped
        _, info = env.reset(options={"index": 0})
        first_title, second_title = info["supporting_titles"]

        _, _, _, _, step = env.step(search(first_title))
        assert step["tool_results"][0]["ok"] and step["retrieval_hits"] >= 1
        found_before = step["retrieval_hits"]
        assert step["tool_results"][0]["items"] == [
            {"id": p.id, "title": p.title, "score": round(p.score, 4)} for p in local.retriever.search(first_title, 5)
        ]  # the server ranks exactly as the in-process retriever

        server.stop()  # killed, as a crash would
        obs, reward, terminated, truncated, step = env.step(search(second_title))
        (failure,) = step["errors"]
        assert failure["kind"] == "unavailable" and server.url in failure["message"]
        assert obs[-1]["role"] == "tool" and obs[-1]["content"].startswith("Error (unavailable)")
        assert step["reward_components"]["tool_error"] == pytest.approx(-0.05) and not (terminated or truncated)

        server.start()  # back on the same port
        _, _, _, _, step = env.step(search(second_title))
        assert step["tool_results"][0]["ok"] and len(step["tool_results"][0]["items"]) == 5
        assert step["retrieval_hits"] == step["supporting_total"] >= found_before
        _, reward, terminated, _, step = env.step(f"<answer>{info['answers'][0]}</answer>")
        assert terminated and step["metrics"]["em"] == 1.0
    finally:
        server.stop()
