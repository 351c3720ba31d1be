"""Loading QA records from local files: the uniform JSONL schema, or an official raw format."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agent_gym.data.files import iter_json_objects, validate_object
from agent_gym.data.raw import load_raw
from agent_gym.data.schema import DATASETS, QARecord
from agent_gym.errors import ConfigError

__all__ = ["load_jsonl", "load_records", "write_jsonl"]


def load_jsonl(path: str | Path) -> list[QARecord]:
    """Load records in agent-gym's uniform schema, one JSON object per line (``.gz`` allowed).

    Raises:
        DataError: naming the file, line and field of the first broken record.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "qa.jsonl")
        >>> _ = open(path, "w").write('{"id": "q1", "question": "Q?", "answer": "A"}\\n{"id": "q2", "question": "Q?"}\\n')
        >>> load_jsonl(path)
        Traceback (most recent call last):
        ...
        agent_gym.errors.DataError: .../qa.jsonl, line 2, field 'answer': Field required (got {'id': 'q2', 'question': 'Q?'})
    """
    return [validate_object(QARecord, obj, path, line) for line, obj in iter_json_objects(path)]


def load_records(path: str | Path, format: str = "uniform") -> list[QARecord]:
    """Load records from a local file in the uniform schema (``format="uniform"``) or a dataset's raw format.

    Args:
        path: A ``.jsonl``/``.json`` file, optionally gzipped.
        format: ``uniform``, or ``hotpotqa``, ``2wikimultihopqa``, ``musique`` for the official raw files.
    """
    if format == "uniform":
        return load_jsonl(path)
    if format in DATASETS:
        return load_raw(path, format)
    raise ConfigError(f"unknown record format {format!r}; expected 'uniform' or one of {list(DATASETS)}")


def write_jsonl(records: Iterable[QARecord], path: str | Path) -> Path:
    """Write records in the uniform schema (gzip when ``path`` ends with ``.gz``); returns the path."""
    import gzip

    path = Path(path)
    lines = "".join(record.model_dump_json() + "\n" for record in records)
    if path.suffix == ".gz":
        with gzip.GzipFile(path, "wb", mtime=0) as handle:  # mtime 0: byte-reproducible files
            handle.write(lines.encode("utf-8"))
    else:
        path.write_text(lines, encoding="utf-8")
    return path
