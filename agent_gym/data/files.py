"""Reading JSON Lines and JSON-list files (plain or gzip) with the line number of every object.

Errors name the file, the line and, for records, the field, so a broken file can be fixed by hand.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agent_gym.errors import DataError

__all__ = ["data_error", "iter_json_objects", "read_text", "validate_object"]

T = TypeVar("T", bound=BaseModel)
_DECODER = json.JSONDecoder()


def read_text(path: str | Path) -> str:
    """The whole file as text; ``.gz`` files are decompressed.

    Raises:
        DataError: the file is missing, not gzip although named ``.gz``, or not UTF-8.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                return handle.read()
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path (relative paths start at {Path.cwd()})") from None
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read it ({exc}); is it a complete gzip file?") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc}); re-encode it as UTF-8") from None


def iter_json_objects(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line number, object)`` for each object of a JSON Lines file or of a top-level JSON list.

    The format is detected from the first non-blank character (``[`` means a JSON list). Blank lines of a
    JSON Lines file are skipped.

    Raises:
        DataError: naming the file and line of the first malformed object.
    """
    text = read_text(path)
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] == "[":
        yield from _iter_json_list(Path(path), text, start)
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise DataError(f"{path}, line {number}: not valid JSON ({exc}); each line must hold one JSON object") from None


def _iter_json_list(path: Path, text: str, start: int) -> Iterator[tuple[int, Any]]:
    position = start + 1
    while True:
        position = _skip_blank(text, position)
        if text.startswith("]", position):
            return
        line = text.count("\n", 0, position) + 1
        try:
            obj, position = _DECODER.raw_decode(text, position)
        except (ValueError, RecursionError) as exc:
            raise DataError(f"{path}, line {line}: not valid JSON ({exc})") from None
        yield line, obj
        position = _skip_blank(text, position)
        if text.startswith(",", position):
            position += 1
        elif not text.startswith("]", position):
            line = text.count("\n", 0, position) + 1
            raise DataError(
                f"{path}, line {line}: expected ',' or ']' between list items; the JSON list is truncated or malformed"
            )


def _skip_blank(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def data_error(path: str | Path, line: int, field: str, problem: str) -> DataError:
    """A :class:`DataError` in the standard ``file, line N, field 'x': problem`` form."""
    where = f", field {field!r}" if field else ""
    return DataError(f"{path}, line {line}{where}: {problem}")


def validate_object(model: type[T], obj: Any, path: str | Path, line: int, convert: Callable[[Any], Any] | None = None) -> T:
    """Validate one decoded object into ``model`` (after ``convert``), turning failures into a DataError.

    Raises:
        DataError: naming the file, the line and the first offending field.
    """
    try:
        return model.model_validate(convert(obj) if convert else obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise data_error(path, line, field, f"{first['msg']} (got {_short(first.get('input'))})") from None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        field = exc.args[0] if isinstance(exc, KeyError) and exc.args else ""
        problem = "missing" if isinstance(exc, KeyError) else str(exc)
        raise data_error(path, line, str(field), f"{problem}; see the expected format in the loader's docstring") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
