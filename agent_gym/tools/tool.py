"""The Tool protocol and the ``@tool`` decorator.

A Tool runs an action and reports *what happened* (:class:`~agent_gym.types.ToolOutput`); it does not
decide what that means for the task: that is the ToolEnv's job.
"""

from __future__ import annotations

import copy
import inspect
import re
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Protocol, get_type_hints, runtime_checkable

from pydantic import ConfigDict, ValidationError, create_model

from agent_gym.errors import ToolArgumentError, ToolDefinitionError
from agent_gym.types import ToolOutput

__all__ = ["FunctionTool", "Tool", "tool", "validate_arguments"]

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


@runtime_checkable
class Tool(Protocol):
    """Anything with a name, a description, a JSON-schema ``parameters`` object and ``run``."""

    name: str
    """Name the model calls the tool by."""
    description: str
    """One paragraph shown to the model."""
    parameters: Mapping[str, Any]
    """JSON schema of the arguments (``{"type": "object", "properties": ..., "required": ...}``)."""

    def run(self, arguments: Mapping[str, Any]) -> ToolOutput | str:
        """Run with already schema-checked arguments; raise ToolArgumentError to reject them."""
        ...


def validate_arguments(parameters: Mapping[str, Any], arguments: Any) -> None:
    """Check ``arguments`` against the subset of JSON schema that tool schemas use.

    Raises:
        ToolArgumentError: with a message the model can act on.

    Example:
        >>> schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
        >>> validate_arguments(schema, {"q": "x"})
        >>> validate_arguments(schema, {"q": 1})
        Traceback (most recent call last):
        ...
        agent_gym.errors.ToolArgumentError: argument 'q' must be string, got int
    """
    if not isinstance(arguments, Mapping):
        raise ToolArgumentError(f"arguments must be a JSON object, got {type(arguments).__name__}")
    properties = parameters.get("properties", {})
    missing = [name for name in parameters.get("required", ()) if name not in arguments]
    if missing:
        raise ToolArgumentError(f"missing required argument(s): {', '.join(missing)}")
    if parameters.get("additionalProperties", True) is False:
        unknown = sorted(set(arguments) - set(properties))
        if unknown:
            raise ToolArgumentError(f"unknown argument(s): {', '.join(unknown)}; expected {', '.join(properties) or 'none'}")
    for name, value in arguments.items():
        expected = properties.get(name, {}).get("type")
        if expected is None:
            continue
        names = [expected] if isinstance(expected, str) else list(expected)
        allowed = tuple(t for n in names for t in _JSON_TYPES.get(n, (object,)))
        is_bool_for_number = isinstance(value, bool) and "boolean" not in names
        if not isinstance(value, allowed) or is_bool_for_number:
            raise ToolArgumentError(f"argument {name!r} must be {' or '.join(names)}, got {type(value).__name__}")


class FunctionTool:
    """A Tool made from a typed, docstringed function (see :func:`tool`)."""

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, timeout_s: float | None = None):
        self.fn = fn
        self.name = name or fn.__name__
        self.timeout_s = timeout_s
        """Seconds after which the env reports a ``timeout`` failure; None waits forever."""
        self.description, self._model, parameters = _describe(fn, self.name)
        self.parameters = copy.deepcopy(parameters)  # a caller editing one tool's schema must not edit the others'

    def run(self, arguments: Mapping[str, Any]) -> ToolOutput | str:
        try:
            parsed = self._model.model_validate(dict(arguments))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
            raise ToolArgumentError(problems) from None
        return self.fn(**{field: getattr(parsed, field) for field in type(parsed).model_fields})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped function directly."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"FunctionTool({self.name!r})"


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None, timeout_s: float | None = None) -> Any:
    """Turn a typed function with a Google-style docstring into a :class:`FunctionTool`.

    The JSON schema comes from the signature, the descriptions from the docstring.

    Example:
        >>> @tool
        ... def lookup(key: str) -> str:
        ...     '''Look a key up.
        ...
        ...     Args:
        ...         key: The key to read.
        ...     '''
        ...     return key.upper()
        >>> lookup.parameters["properties"]["key"]
        {'type': 'string', 'description': 'The key to read.'}
        >>> lookup.run({"key": "a"})
        'A'
    """
    if fn is None:
        return lambda f: FunctionTool(f, name=name, timeout_s=timeout_s)
    return FunctionTool(fn, name=name, timeout_s=timeout_s)


# Deriving the pydantic model and schema costs about 0.8 ms, paid per env instance when an env wraps its own
# bound methods (``tool(self.lookup)``); the result depends only on the function, so it is kept per function.
# The lock: envs may be built on several threads at once.
_DESCRIPTIONS: weakref.WeakKeyDictionary[Any, dict[tuple[bool, str], tuple[str, Any, dict[str, Any]]]]
_DESCRIPTIONS = weakref.WeakKeyDictionary()
_DESCRIPTIONS_LOCK = threading.Lock()


def _describe(fn: Callable[..., Any], name: str) -> tuple[str, Any, dict[str, Any]]:
    """(description, arguments model, parameters schema) of ``fn``, cached per underlying function."""
    function = getattr(fn, "__func__", fn)
    key = (inspect.ismethod(fn), name)
    with _DESCRIPTIONS_LOCK:
        try:
            cached = _DESCRIPTIONS.setdefault(function, {})
        except TypeError:  # not weak-referenceable: describe it every time
            cached = {}
        if key not in cached:
            summary, arg_docs = _parse_google_docstring(inspect.getdoc(fn) or "")
            if not summary:
                raise ToolDefinitionError(f"tool {name!r} needs a docstring: its first paragraph is the description")
            model = _arguments_model(fn, name)
            cached[key] = (summary, model, _clean_schema(model.model_json_schema(), arg_docs))
        return cached[key]


def _arguments_model(fn: Callable[..., Any], name: str) -> Any:
    try:
        hints = get_type_hints(fn)
    except Exception as exc:  # unresolvable forward references
        raise ToolDefinitionError(f"tool {name!r}: cannot resolve type hints ({exc})") from exc
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolDefinitionError(f"tool {name!r}: *args/**kwargs cannot be described to a model; name each argument")
        if param.name not in hints:
            raise ToolDefinitionError(f"tool {name!r}: argument {param.name!r} needs a type hint")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints[param.name], default)
    config = ConfigDict(strict=True, extra="forbid")
    return create_model(f"{name}_arguments", __config__=config, **fields)


def _clean_schema(schema: dict[str, Any], arg_docs: Mapping[str, str]) -> dict[str, Any]:
    properties = {}
    for arg, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        if arg in arg_docs:
            prop["description"] = arg_docs[arg]
        properties[arg] = prop
    cleaned: dict[str, Any] = {"type": "object", "properties": properties, "required": list(schema.get("required", []))}
    cleaned["additionalProperties"] = False
    if "$defs" in schema:
        cleaned["$defs"] = schema["$defs"]
    return cleaned


_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Yields|Example|Examples|Note|Notes):\s*$")
_ARG_LINE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _parse_google_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Return (first paragraph, {argument: description}) of a Google-style docstring."""
    lines = doc.splitlines()
    summary_lines: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line.strip()):
            break
        summary_lines.append(line.strip())
    args: dict[str, str] = {}
    in_args, current, args_indent = False, None, 0
    for line in lines:
        stripped = line.strip()
        if _SECTION.match(stripped):
            in_args, current = stripped.rstrip(":") in ("Args", "Arguments", "Parameters"), None
            continue
        if not in_args or not stripped:
            continue
        match = _ARG_LINE.match(stripped)
        indent = len(line) - len(line.lstrip())
        if match and (current is None or indent <= args_indent):
            current, args_indent = match.group(1), indent
            args[current] = match.group(2).strip()
        elif current is not None:
            args[current] = f"{args[current]} {stripped}".strip()
    return " ".join(summary_lines), args
