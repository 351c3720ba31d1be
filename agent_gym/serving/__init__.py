"""Envs as services: an env server speaking OpenEnv's protocol, and the Gymnasium env that is its client.

``agent-gym serve-env ENV_ID`` serves any registered env (:mod:`agent_gym.serving.server`);
``gym.make("agent-gym/Remote-v0", url=..., env_id=...)`` steps it from another process or machine
(:mod:`agent_gym.serving.client`). The wire format is in :mod:`agent_gym.serving.protocol`. Importing this
package imports neither FastAPI nor websockets; they load when a server or a session starts.
"""

from agent_gym.serving.client import RemoteEnv
from agent_gym.serving.process import EnvServerProcess
from agent_gym.serving.protocol import EnvState, ErrorCode, ObservationData, RemoteAction, RemoteObservation, ResetData
from agent_gym.serving.server import EnvServerLimits, create_app, serve

__all__ = [
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
