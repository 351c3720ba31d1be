"""agent_gym.serving's public names, and a light import: no web framework, socket library or torch."""

import subprocess
import sys

import agent_gym.serving


def test_public_names():
    assert sorted(agent_gym.serving.__all__) == [
        "EnvServerLimits",
        "EnvServerProcess",
        "EnvState",
        "ErrorCode",
        "ObservationData",
        "RemoteAction",
        "RemoteEnv",
        "RemoteObservation",
        "ResetData",
        "create_app",
        "serve",
    ]


def test_importing_serving_loads_no_server_or_socket_library():
    heavy = ("fastapi", "uvicorn", "starlette", "websockets", "torch")
    code = f"import agent_gym, agent_gym.serving, sys; print([m for m in {heavy!r} if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
