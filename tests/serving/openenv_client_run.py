"""Plays an agent-gym env server with OpenEnv's own client (run by test_openenv_client.py in the openenv venv).

Usage: python openenv_client_run.py URL TEXT_ACTION_JSON_LIST. Prints one JSON object: what the client saw.
"""

import json
import sys

from openenv.core import GenericEnvClient


def main(url: str, actions: list[str], max_sessions: int) -> dict:
    seen: dict = {"steps": []}
    with GenericEnvClient(base_url=url).sync() as env:
        result = env.reset(seed=0, options={"index": 2})
        seen["reset"] = {"observation": result.observation, "reward": result.reward, "done": result.done}
        for text in actions:
            result = env.step({"text": text})
            seen["steps"].append({"observation": result.observation, "reward": result.reward, "done": result.done})
            if result.done:
                break
        state = env.state()
        seen["state"] = {"episode_id": state["episode_id"], "step_count": state["step_count"], "env_id": state["env_id"]}
        try:
            env.step({"text": "after the end"})
        except RuntimeError as exc:
            seen["step_after_done"] = str(exc)
        # Capacity: this session plus max_sessions more; the last one is refused with OpenEnv's error.
        others = [GenericEnvClient(base_url=url).sync() for _ in range(max_sessions)]
        errors = []
        for other in others:
            try:
                other.reset(seed=1)
            except RuntimeError as exc:
                errors.append(str(exc))
        for other in others:
            other.close()
        seen["capacity_errors"] = errors
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]))))
