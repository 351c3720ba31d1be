"""Plain, bounded JSON: what a model-written value must be before it enters the history, the info or a store.

A model turn is hostile input. A native ``tool_calls`` list can hold circular references, tuple keys, NaN,
5,000-digit integers or objects nested past the serializers' recursion limits, and a Hermes body can nest
256 deep; each of these once made ``step`` raise after the history had changed. Every value a model writes
passes :func:`plain_json` once, at the door, and what does not pass is refused as data
(an ``invalid_arguments`` failure), never raised. Text a model writes as JSON passes :func:`check_nesting` before
it is parsed: ``json`` recurses once per level, so whether a deep value parsed used to depend on how deep in the
stack the caller was (986 levels at top level, 936 fifty frames down).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from agent_gym.errors import NotPlainJSON

__all__ = ["MAX_JSON_CHARS", "MAX_JSON_DEPTH", "check_nesting", "plain_json"]

MAX_JSON_DEPTH = 32
"""Deepest nesting accepted: far more than any tool schema needs, far below pydantic's 255 and Python's recursion limit."""
MAX_JSON_CHARS = 1 << 16
"""Default size budget: characters of strings and keys, plus one per value."""
_INT_RANGE = (-(2**63), 2**64)  # what JSON consumers (int64/uint64 parsers, pyarrow) can hold exactly


def check_nesting(text: str, start: int = 0, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse the JSON value at ``text[start:]`` if it nests deeper than ``max_depth``, without parsing it.

    Scans brackets outside strings, iteratively, up to the end of the first value (or of ``text``), so the
    answer does not depend on the caller's stack depth, and a refusal comes before ``json`` recurses.

    Raises:
        NotPlainJSON: nested deeper than ``max_depth`` levels.

    Example:
        >>> check_nesting('{"a": "[[[[", "b": [1]}', max_depth=2)
        >>> check_nesting("[[[1]]]", max_depth=2)
        Traceback (most recent call last):
        ...
        agent_gym.errors.NotPlainJSON: is nested deeper than 2 levels
    """
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise NotPlainJSON(f"is nested deeper than {max_depth} levels")
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                return
        elif depth == 0 and not char.isspace():
            return  # a scalar, or not JSON: the parser says which


def plain_json(value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_chars: int = MAX_JSON_CHARS) -> Any:
    """A copy of ``value`` made of plain JSON types only, within the bounds; otherwise raise.

    Plain JSON is: dicts with string keys, lists (tuples become lists), strings, bools, None, integers within
    64 bits and finite floats. Subclasses are copied to their base type, so nothing of the caller's object
    survives.

    Raises:
        NotPlainJSON: with the first reason found (too deep, too large, circular, a non-string key, a
            non-finite float, an integer out of range, a type JSON has not).

    Example:
        >>> plain_json({"query": "x", "k": (1, 2.5, None)})
        {'query': 'x', 'k': [1, 2.5, None]}
        >>> plain_json({("a",): 1})
        Traceback (most recent call last):
        ...
        agent_gym.errors.NotPlainJSON: object keys must be strings, got tuple
    """
    budget = [max_chars]
    try:
        return _copy(value, 0, max_depth, budget, set())
    except NotPlainJSON:
        raise
    except (RecursionError, MemoryError):
        raise NotPlainJSON("is too large or too deeply nested to read") from None
    except Exception as exc:  # a hostile container whose methods raise: refused, never propagated
        raise NotPlainJSON(f"could not be read ({type(exc).__name__})") from None


def _copy(value: Any, depth: int, max_depth: int, budget: list[int], path: set[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlainJSON("is too large")
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise NotPlainJSON("is too large")
        return str.__str__(value)
    if isinstance(value, int):
        number = int.__index__(value)
        if not _INT_RANGE[0] <= number < _INT_RANGE[1]:
            raise NotPlainJSON("holds an integer outside the 64-bit range")
        return number
    if isinstance(value, float):
        number = float.__float__(value)
        if not math.isfinite(number):
            raise NotPlainJSON(f"holds a non-finite number ({number})")
        return number
    if not isinstance(value, (Mapping, list, tuple)):
        raise NotPlainJSON(f"{type(value).__name__} is not a JSON value")
    if depth >= max_depth:
        raise NotPlainJSON(f"is nested deeper than {max_depth} levels")
    if id(value) in path:
        raise NotPlainJSON("contains a circular reference")
    path.add(id(value))
    try:
        if isinstance(value, Mapping):
            copied: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise NotPlainJSON(f"object keys must be strings, got {type(key).__name__}")
                budget[0] -= len(key)
                copied[str.__str__(key)] = _copy(item, depth + 1, max_depth, budget, path)
            return copied
        return [_copy(item, depth + 1, max_depth, budget, path) for item in value]
    finally:
        path.discard(id(value))
