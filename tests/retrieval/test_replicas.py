"""MultiHopQA-v0 searching two ``serve-retriever`` replicas keeps working when one of them is killed."""

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401 - registers the envs
from agent_gym.retrieval.server import ServerProcess
from agent_gym.types import ToolCall

pytestmark = pytest.mark.slow


def _search_turns(env, n):
    """``n`` search turns of one episode; the tool results of each."""
    _, info = env.reset(seed=0, options={"index": 0})
    fmt = env.unwrapped.format
    results = []
    for k in range(n):
        call = fmt.render_turn([ToolCall(name="search", arguments={"query": f"{info['question']} {k}"})])
        _, _, terminated, truncated, step_info = env.step(call)
        results.append(step_info["tool_results"])
        if terminated or truncated:
            _, info = env.reset(seed=k + 1, options={"index": k + 1})
    return results


def test_multihopqa_keeps_working_when_a_replica_is_killed(tmp_path):
    cache = {"AGENT_GYM_CACHE": str(tmp_path)}
    with ServerProcess(env=cache, startup_timeout_s=300) as first, ServerProcess(env=cache, startup_timeout_s=300) as second:
        env = gym.make("MultiHopQA-v0", retriever=f"{first.url},{second.url}", max_turns=50)
        before = _search_turns(env, 4)
        second.stop()  # killed, as a crash would
        after = _search_turns(env, 6)
        for results in before + after:
            (result,) = results
            assert result["ok"], result
        local = gym.make("MultiHopQA-v0", max_turns=50)
        assert [r[0]["items"] for r in before] == [r[0]["items"] for r in _search_turns(local, 4)]
