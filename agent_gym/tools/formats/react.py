"""ReAct lines: ``Action: search[query]``; ``Action: finish[answer]`` (or ``Final Answer: …``) to finish.

A single-string-argument tool takes the bracket text verbatim; other tools take a JSON object in the
brackets. Arguments are one line: newlines are written as spaces by :meth:`ReActFormat.render_turn`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from agent_gym.errors import NotPlainJSON
from agent_gym.tools.formats.base import Action, ToolFormat, action_text, single_string_parameter
from agent_gym.tools.plain_json import check_nesting
from agent_gym.tools.tool import Tool
from agent_gym.types import ParsedTurn, ToolCall, ToolFailure

__all__ = ["ReActFormat"]

_ACTION = re.compile(r"^[ \t]*Action[ \t]*:[ \t]*(.*)$", re.MULTILINE)
_CALL = re.compile(r"^([\w.-]+)[ \t]*\[(.*)\][ \t]*$")
_FINAL = re.compile(r"^[ \t]*Final Answer[ \t]*:[ \t]*(.*)$", re.MULTILINE)


class ReActFormat(ToolFormat):
    """Thought / Action / Observation.

    Example:
        >>> ReActFormat().parse("Thought: easy\\nAction: finish[Paris]", {}).answer
        'Paris'
    """

    name = "react"

    def render_tools(self, tools: Sequence[Tool]) -> str:
        lines = []
        for t in tools:
            param = single_string_parameter(t)
            arg = param if param else "JSON object of " + ", ".join(t.parameters.get("properties", {}))
            lines.append(f"- {t.name}[{arg}]: {t.description}")
        listing = "\n".join(lines)
        return (
            "Solve the task with interleaving Thought, Action and Observation steps. Actions are:\n"
            f"{listing}\n"
            "- finish[answer]: give the final answer and end.\n"
            "Write each action on its own line as `Action: name[input]`."
        )

    def parse(self, action: Action, tools: Mapping[str, Tool]) -> ParsedTurn:
        text = action_text(action)
        calls: list[ToolCall] = []
        failures: list[ToolFailure] = []
        answer = None
        for line in _ACTION.findall(text):
            match = _CALL.match(line.strip())
            if match is None:
                failures.append(
                    ToolFailure(kind="parse_error", message=f"cannot read action {line.strip()[:80]!r}; write name[input]")
                )
                continue
            name, raw = match.group(1), match.group(2)
            if name == "finish":
                answer = raw.strip()
                continue
            parsed = self._arguments(name, raw, tools)
            (calls if isinstance(parsed, ToolCall) else failures).append(parsed)
        finals = _FINAL.findall(text)
        if finals:
            answer = finals[-1].strip()
        return ParsedTurn(tool_calls=tuple(calls), answer=answer, failures=tuple(failures))

    @staticmethod
    def _arguments(name: str, raw: str, tools: Mapping[str, Tool]) -> ToolCall | ToolFailure:
        tool = tools.get(name)
        param = single_string_parameter(tool) if tool is not None else None
        if param is not None:
            return ToolCall(name=name, arguments={param: raw.strip()})
        try:
            check_nesting(raw)  # before parsing: the answer must not depend on the caller's stack depth
            arguments = json.loads(raw) if raw.strip().startswith("{") else None
        except NotPlainJSON as exc:
            return ToolFailure(kind="invalid_arguments", message=f"arguments of {name}[...] {exc}")
        except (ValueError, RecursionError):
            arguments = None
        if isinstance(arguments, dict):
            return ToolCall(name=name, arguments=arguments)
        if tool is None:  # let the env report the unknown name rather than a syntax error
            return ToolCall(name=name, arguments={"input": raw.strip()})
        return ToolFailure(kind="parse_error", message=f"{name}[...] takes a JSON object of its arguments")

    def render_turn(self, calls: Sequence[ToolCall] = (), answer: str | None = None, thought: str = "") -> str:
        lines = [f"Thought: {_one_line(thought)}"] if thought else []
        for call in calls:
            values = list(call.arguments.values())
            is_single_string = len(values) == 1 and isinstance(values[0], str)
            arg = values[0] if is_single_string else json.dumps(call.arguments, ensure_ascii=False)
            lines.append(f"Action: {call.name}[{_one_line(arg)}]")
        if answer is not None:
            lines.append(f"Action: finish[{_one_line(answer)}]")
        return "\n".join(lines)

    def tool_message(self, call: ToolCall, content: str) -> dict[str, Any]:
        return {"role": "tool", "content": f"Observation: {content}", "tool_call_id": call.id, "name": call.name}


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())
