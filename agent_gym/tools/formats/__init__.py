"""Pluggable tool-call formats; :func:`get_format` looks one up by name."""

from __future__ import annotations

from agent_gym.errors import ConfigError, did_you_mean
from agent_gym.tools.formats.base import Action, ToolFormat, action_text, extract_answer
from agent_gym.tools.formats.hermes import HermesFormat
from agent_gym.tools.formats.openai import OpenAIFormat, openai_tool_schemas
from agent_gym.tools.formats.react import ReActFormat
from agent_gym.tools.formats.search_r1 import SearchR1Format

__all__ = [
    "FORMATS",
    "Action",
    "HermesFormat",
    "OpenAIFormat",
    "ReActFormat",
    "SearchR1Format",
    "ToolFormat",
    "action_text",
    "extract_answer",
    "get_format",
    "openai_tool_schemas",
]

FORMATS: dict[str, type[ToolFormat]] = {cls.name: cls for cls in (HermesFormat, OpenAIFormat, SearchR1Format, ReActFormat)}


def get_format(format: str | ToolFormat) -> ToolFormat:
    """A ToolFormat instance from its name (``hermes``, ``openai``, ``search_r1``, ``react``) or as given."""
    if isinstance(format, ToolFormat):
        return format
    if format not in FORMATS:
        hint = did_you_mean(str(format), FORMATS)
        raise ConfigError(f"unknown tool format {format!r}; expected one of {sorted(FORMATS)}.{hint}")
    return FORMATS[format]()
