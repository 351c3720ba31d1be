"""Hermes / Qwen tool calls: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``; ``<answer>…</answer>``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from agent_gym.errors import NotPlainJSON
from agent_gym.tools.formats.base import Action, ToolFormat, action_text, extract_answer
from agent_gym.tools.plain_json import MAX_JSON_DEPTH, check_nesting, plain_json
from agent_gym.tools.tool import Tool
from agent_gym.types import ParsedTurn, ToolCall, ToolFailure

__all__ = ["HermesFormat", "parse_call_object"]

_OPEN, _CLOSE = "<tool_call>", "</tool_call>"
_DECODER = json.JSONDecoder()
_WS = re.compile(r"\s*")


def parse_call_object(obj: object) -> ToolCall | ToolFailure:
    """Validate a decoded ``{"name": ..., "arguments": ...}`` object (arguments may be a JSON string).

    Arguments must be plain, bounded JSON (:func:`~agent_gym.tools.plain_json.plain_json`); others are
    refused as ``invalid_arguments``.
    """
    if not isinstance(obj, dict):
        return ToolFailure(kind="parse_error", message=f"a tool call must be a JSON object, got {type(obj).__name__}")
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return ToolFailure(kind="parse_error", message='a tool call needs a "name" string')
    arguments = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            check_nesting(arguments)  # before parsing: the answer must not depend on the caller's stack depth
            arguments = json.loads(arguments) if arguments.strip() else {}
        except NotPlainJSON as exc:
            return ToolFailure(kind="invalid_arguments", message=f"arguments of {name!r} {exc}")
        except (ValueError, RecursionError) as exc:
            return ToolFailure(kind="parse_error", message=f"arguments of {name!r} are not valid JSON: {exc}")
    if not isinstance(arguments, dict):
        return ToolFailure(kind="parse_error", message=f'"arguments" of {name!r} must be a JSON object')
    try:
        arguments = plain_json(arguments)
    except NotPlainJSON as exc:  # e.g. nested past what the info and the stores can serialise
        return ToolFailure(kind="invalid_arguments", message=f"arguments of {name!r} {exc}")
    return ToolCall(name=name, arguments=arguments, id=str(obj["id"]) if isinstance(obj.get("id"), str) else "")


class HermesFormat(ToolFormat):
    """The default: what Qwen2.5/3, Hermes and SmolLM2 chat templates emit.

    Example:
        >>> turn = HermesFormat().parse('<tool_call>{"name": "search", "arguments": {"query": "x"}}</tool_call>', {})
        >>> turn.tool_calls[0].arguments
        {'query': 'x'}
    """

    name = "hermes"

    def render_tools(self, tools: Sequence[Tool]) -> str:
        schemas = "\n".join(
            json.dumps(
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)},
                },
                ensure_ascii=False,
            )
            for t in tools
        )
        return (
            "You may call one or more functions to help with the task. The functions are:\n"
            f"<tools>\n{schemas}\n</tools>\n"
            "For each call, write a JSON object with the function name and arguments inside <tool_call></tool_call> tags:\n"
            '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>\n'
            "When you know the final answer, write it inside <answer></answer> tags."
        )

    def parse(self, action: Action, tools: Mapping[str, Tool]) -> ParsedTurn:
        text = action_text(action)
        calls: list[ToolCall] = []
        failures: list[ToolFailure] = []
        outside: list[str] = []  # the text around the well-formed calls: an argument may quote "<answer>" itself
        kept_from = 0
        position = text.find(_OPEN)
        while position != -1:
            start = _WS.match(text, position + len(_OPEN)).end()
            try:
                # Before parsing, so the answer does not depend on the caller's stack depth; +1: the call object itself.
                check_nesting(text, start, max_depth=MAX_JSON_DEPTH + 1)
                obj, end = _DECODER.raw_decode(text, start)
            except NotPlainJSON:
                message = f"the <tool_call> body nests deeper than arguments may ({MAX_JSON_DEPTH} levels)"
                failures.append(ToolFailure(kind="invalid_arguments", message=message))
                position = text.find(_OPEN, start)
                continue
            except (ValueError, RecursionError) as exc:
                failures.append(ToolFailure(kind="parse_error", message=f"the <tool_call> body is not valid JSON: {exc}"))
                position = text.find(_OPEN, start)
                continue
            end = _WS.match(text, end).end()
            if not text.startswith(_CLOSE, end):
                failures.append(
                    ToolFailure(kind="parse_error", message="a <tool_call> JSON object must be followed by </tool_call>")
                )
            else:
                end += len(_CLOSE)
            outside.append(text[kept_from:position])
            kept_from = end
            parsed = parse_call_object(obj)
            (calls if isinstance(parsed, ToolCall) else failures).append(parsed)
            position = text.find(_OPEN, end)
        outside.append(text[kept_from:])
        answer = extract_answer("".join(outside))
        return ParsedTurn(tool_calls=tuple(calls), answer=answer, failures=tuple(failures))

    def render_turn(self, calls: Sequence[ToolCall] = (), answer: str | None = None, thought: str = "") -> str:
        parts = [thought] if thought else []
        parts += [
            f"{_OPEN}\n{json.dumps({'name': c.name, 'arguments': c.arguments}, ensure_ascii=False)}\n{_CLOSE}" for c in calls
        ]
        if answer is not None:
            parts.append(f"<answer>{answer}</answer>")
        return "\n".join(parts)
