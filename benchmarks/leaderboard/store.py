"""The results file: one append-only JSON Lines file of episodes per run, safe against being killed.

Each finished episode is one line, written with a single ``write`` and made durable (flush + fsync) before
the next episode starts, so a run killed at any moment leaves at most one incomplete last line. Opening the
store repairs that (the torn line is cut off and its episode runs again), keeps the first copy of an episode
that somehow appears twice, and reports every line it cannot use by number while keeping the valid ones.

Every text is made encodable before it is written: a lone surrogate (``"\\ud800"``, which a policy can emit
and no UTF-8 file can hold) is replaced with U+FFFD and counted in the record's ``replaced_surrogates``, so one
bad character costs one character, not the run. A write that fails (full disk) is rolled back to the last
complete line and raised as a one-line :class:`~agent_gym.errors.ResultsError`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agent_gym.baselines.method import PlayedEpisode

from .folder import disk_error

__all__ = ["EpisodeKey", "EpisodeRecord", "EpisodeStore", "StoreProblem", "replace_surrogates"]

_SURROGATE = re.compile("[\ud800-\udfff]")

EpisodeKey = tuple[str, str, int]
"""(method, dataset, question index): what identifies an episode within a run."""


class EpisodeRecord(BaseModel):
    """One line of the results file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str
    """Fingerprint of the run's config; lines of another run are refused."""
    method: str
    """Method id (``naive-rag``, ``base-tool-call``, ``policy:<spec>``)."""
    dataset: str
    """Dataset name or env id."""
    index: int
    """Question index in the dataset."""
    batch: int
    """Index of the batch the episode was played in."""
    elapsed_s: float
    """Seconds from the start of its batch to the end of this episode (measured; differs between runs)."""
    played: PlayedEpisode
    """The episode and the policy's cost."""
    replaced_surrogates: int = 0
    """Lone surrogates found in the episode's text and replaced with U+FFFD when it was stored."""

    @property
    def key(self) -> EpisodeKey:
        return (self.method, self.dataset, self.index)


class StoreProblem(BaseModel):
    """A line of the results file that was not used, and why."""

    model_config = ConfigDict(frozen=True)

    line: int
    """1-based line number."""
    reason: str
    """What is wrong with it and what happens to its episode."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class EpisodeStore:
    """The append-only results file of one run.

    Args:
        path: The JSONL file (created with its folder when missing).
        run: The run's config fingerprint.
    """

    def __init__(self, path: str | Path, run: str):
        self.path = Path(path)
        self.run = run
        self.records: dict[EpisodeKey, EpisodeRecord] = {}
        self.problems: list[StoreProblem] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise disk_error(exc, self.path.parent) from None
        self._load()

    def __contains__(self, key: EpisodeKey) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def append(self, record: EpisodeRecord) -> EpisodeRecord:
        """Write one episode durably and return it as stored; an episode already stored is not written again.

        Raises:
            ResultsError: the line could not be written (e.g. a full disk); the file is left as it was.
        """
        if record.key in self.records:
            return self.records[record.key]
        # Python mode: the JSON mode would already have mangled surrogates in dict keys, uncounted.
        dumped = record.model_dump()
        data, replaced = replace_surrogates(dumped)
        changed = replaced or data != dumped  # a joined surrogate pair changes the text without replacing anything
        if changed:
            data["replaced_surrogates"] = record.replaced_surrogates + replaced
            record = EpisodeRecord.model_validate(data)
        line = json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
        if changed:  # keep in memory exactly what a rerun reads back
            record = EpisodeRecord.model_validate_json(line)
        self._write_line(line.encode("utf-8"))
        self.records[record.key] = record
        return record

    def _write_line(self, line: bytes) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise disk_error(exc, self.path) from None
        try:
            size = os.fstat(fd).st_size
            view = memoryview(line)
            try:
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except OSError as exc:
                # Cut what part of the line got written, so the file ends with a complete line as before.
                try:
                    os.ftruncate(fd, size)
                except OSError:
                    pass  # the next open cuts the torn line instead
                raise disk_error(exc, self.path) from None
        finally:
            os.close(fd)

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:  # a directory in its place, no permission
            raise disk_error(exc, self.path) from None
        complete, _, tail = data.rpartition(b"\n")
        lines = complete.split(b"\n") if complete else []
        if tail:
            # A kill during a write leaves a torn last line; cut it so the next append starts a fresh line.
            problem = "incomplete last line (the run was interrupted while writing it); removed, its episode will run again"
            self.problems.append(StoreProblem(line=len(lines) + 1, reason=problem))
            try:
                fd = os.open(self.path, os.O_WRONLY)
                try:
                    os.ftruncate(fd, len(complete) + 1 if complete else 0)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise disk_error(exc, self.path) from None
        first_line: dict[EpisodeKey, int] = {}
        for number, raw in enumerate(lines, 1):
            record = self._parse(number, raw)
            if record is None:
                continue
            if record.key in first_line:
                reason = f"duplicate of line {first_line[record.key]} ({'/'.join(map(str, record.key))}); the first is kept"
                self.problems.append(StoreProblem(line=number, reason=reason))
                continue
            first_line[record.key] = number
            self.records[record.key] = record

    def _parse(self, number: int, raw: bytes) -> EpisodeRecord | None:
        if not raw.strip():
            return None
        try:
            record = EpisodeRecord.model_validate_json(raw)
        except ValidationError as exc:
            where = exc.errors()[0]
            field = ".".join(str(part) for part in where.get("loc", ())) or "line"
            reason = f"not a valid episode record ({field}: {where['msg']}); skipped, its episode will run again"
            self.problems.append(StoreProblem(line=number, reason=reason))
            return None
        if record.run != self.run:
            reason = f"belongs to run {record.run}, not {self.run}; skipped"
            self.problems.append(StoreProblem(line=number, reason=reason))
            return None
        return record


def replace_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` (JSON data) with every lone surrogate in its strings and keys replaced by U+FFFD, and how many.

    A surrogate pair written as two code points is joined into the character it encodes; only lone halves,
    which no UTF-8 text can hold, are replaced.

    Example:
        >>> replace_surrogates({"text": "ok \\ud800", "pair": "\\ud83d\\ude00", "n": [1, "fine"]})
        ({'text': 'ok �', 'pair': '😀', 'n': [1, 'fine']}, 1)
    """
    if isinstance(value, str):
        if not _SURROGATE.search(value):
            return value, 0
        joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return _SURROGATE.subn("\ufffd", joined)
    if isinstance(value, dict):
        total, out = 0, {}
        for key, item in value.items():
            (key, n_key), (item, n_item) = replace_surrogates(key), replace_surrogates(item)
            out[key] = item
            total += n_key + n_item
        return out, total
    if isinstance(value, list | tuple):
        pairs = [replace_surrogates(item) for item in value]
        return type(value)(item for item, _ in pairs), sum(n for _, n in pairs)
    return value, 0
