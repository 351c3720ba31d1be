"""OpenEnv's own client (``openenv`` from PyPI) plays ``agent-gym serve-env``.

openenv pins fastmcp<4, which the project's lock cannot hold, so its client runs in a venv of its own that
``make openenv-venv`` builds (``make test`` builds it and points ``$AGENT_GYM_OPENENV_PYTHON`` at it); this test
starts the server here and runs ``openenv_client_run.py`` there.
"""

import json
import os
import subprocess
from pathlib import Path

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401 - registers the envs
from agent_gym.serving import EnvServerProcess

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OPENENV_PYTHON = Path(os.environ.get("AGENT_GYM_OPENENV_PYTHON", ROOT / ".venv-openenv" / "bin" / "python"))
ENV_ID = "KeyValueLookup-v0"
ACTIONS = ['<tool_call>{"name": "lookup", "arguments": {"key": "zz-1"}}</tool_call>', "no call", "<answer>x</answer>"]


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    if not OPENENV_PYTHON.exists():
        if "AGENT_GYM_OPENENV_PYTHON" in os.environ:
            pytest.fail(f"$AGENT_GYM_OPENENV_PYTHON={OPENENV_PYTHON} does not exist; run `make openenv-venv`")
        pytest.skip("OpenEnv's client is not installed here: `make openenv-venv` builds its venv (make test does)")
    with EnvServerProcess([ENV_ID, "--max-sessions", "2"], env={"AGENT_GYM_CACHE": str(tmp_path_factory.mktemp("c"))}) as server:
        script = Path(__file__).with_name("openenv_client_run.py")
        done = subprocess.run(
            [str(OPENENV_PYTHON), str(script), server.url, json.dumps(ACTIONS), "2"], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_openenvs_client_plays_the_same_episode_as_the_local_env(seen):
    local = gym.make(ENV_ID)
    obs, info = local.reset(seed=0, options={"index": 2})
    assert seen["reset"] == {
        "observation": {
            "messages": list(obs),
            "offset": 0,
            "terminated": False,
            "truncated": False,
            "info": info,
            "metadata": {},
        },
        "reward": None,
        "done": False,
    }
    history = list(obs)
    for action, step in zip(ACTIONS, seen["steps"], strict=True):
        obs, reward, terminated, truncated, info = local.step(action)
        history += step["observation"]["messages"]
        assert history == list(obs) and step["reward"] == reward and step["done"] == (terminated or truncated)
        assert json.loads(json.dumps(info)) == step["observation"]["info"]
    assert seen["state"] == {"episode_id": "session-1:1", "step_count": 3, "env_id": ENV_ID}


def test_openenvs_client_reads_our_errors_and_the_capacity_error(seen):
    after_done = seen["step_after_done"]
    assert after_done.startswith("Server error: ResetNeeded: ") and after_done.endswith("(code: EXECUTION_ERROR)")
    assert seen["capacity_errors"] == [
        "Server error: the server is at capacity (2 sessions); retry later or start another server (code: CAPACITY_REACHED)"
    ]
