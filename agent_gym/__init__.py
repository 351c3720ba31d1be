"""agent-gym: a text-native Gymnasium API for tool-using LLM agents.

``import agent_gym`` registers the envs (``gym.make("MultiHopQA-v0")``) and imports no deep-learning
framework: torch, transformers, trl, datasets and pyserini load only when a component needs them.
"""

from agent_gym.core import AgentEnv
from agent_gym.errors import AgentGymError
from agent_gym.noise import NoiseModel
from agent_gym.registry import register_builtin_envs, register_env, registered_envs
from agent_gym.rewards import Rubric
from agent_gym.spaces import AssistantTurn, FreeText, History
from agent_gym.tools import Tool, ToolEnv, tool
from agent_gym.types import Episode, Message, StepRecord, Task, ToolCall, ToolOutput, ToolResult

__version__ = "0.1.0"

__all__ = [
    "AgentEnv",
    "AgentGymError",
    "AssistantTurn",
    "Episode",
    "FreeText",
    "History",
    "Message",
    "NoiseModel",
    "Rubric",
    "StepRecord",
    "Task",
    "Tool",
    "ToolCall",
    "ToolEnv",
    "ToolOutput",
    "ToolResult",
    "__version__",
    "register_env",
    "registered_envs",
    "tool",
]

register_builtin_envs()
