"""Episodes as JSON Lines: one :class:`~agent_gym.types.Episode` per line, written as episodes finish."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from agent_gym.errors import DataError
from agent_gym.types import Episode

__all__ = ["EpisodeWriter", "read_episodes"]


class EpisodeWriter:
    """Stream episodes to a JSONL file in rollout order, flushing each line as soon as it can be written.

    Episodes finish out of order under concurrency; the writer holds back an episode until every earlier one
    is written, so the file is the same whatever the concurrency (same seeds, same bytes).

    Args:
        path: File to write (parents are created; an existing file is replaced).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = self.path.open("w", encoding="utf-8")
        self._waiting: dict[int, Episode] = {}
        self._next = 0

    def add(self, index: int, episode: Episode) -> None:
        """Record the episode at position ``index``; write every episode that is now in order."""
        self._waiting[index] = episode
        while self._next in self._waiting:
            record = self._waiting.pop(self._next).model_dump(mode="json")
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._next += 1
        self._file.flush()

    def close(self) -> None:
        """Write what is left (in index order) and close the file."""
        for index in sorted(self._waiting):
            self._file.write(json.dumps(self._waiting.pop(index).model_dump(mode="json"), ensure_ascii=False) + "\n")
        self._file.close()

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_episodes(path: str | Path) -> Iterator[Episode]:
    """Read episodes back from a JSONL file.

    Raises:
        DataError: naming the file and line of a record that is not an Episode.
    """
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield Episode.model_validate(json.loads(line))
            except ValueError as exc:
                raise DataError(f"{path}:{number}: not an Episode record ({exc.__class__.__name__}: {exc})") from None
