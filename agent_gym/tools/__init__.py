"""Tools (what happened), the ToolEnv (what it means), and the tool-call formats."""

from agent_gym.tools.env import Interpretation, ToolEnv, render_output
from agent_gym.tools.formats import (
    FORMATS,
    HermesFormat,
    OpenAIFormat,
    ReActFormat,
    SearchR1Format,
    ToolFormat,
    get_format,
    openai_tool_schemas,
)
from agent_gym.tools.tool import FunctionTool, Tool, tool, validate_arguments

__all__ = [
    "FORMATS",
    "FunctionTool",
    "HermesFormat",
    "Interpretation",
    "OpenAIFormat",
    "ReActFormat",
    "SearchR1Format",
    "Tool",
    "ToolEnv",
    "ToolFormat",
    "get_format",
    "openai_tool_schemas",
    "render_output",
    "tool",
    "validate_arguments",
]
