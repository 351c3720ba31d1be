"""The results file: one append-only JSON Lines file of episodes per run, safe against being killed.

Each finished episode is one line, written with a single ``write`` and made durable (flush + fsync) before
the next episode starts, so a run killed at any moment leaves at most one incomplete last line. Opening the
store repairs that (the torn line is cut off and its episode runs again), keeps the first copy of an episode
that somehow appears twice, and reports every line it cannot use by number while keeping the valid ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from agent_gym.baselines.method import PlayedEpisode
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["EpisodeKey", "EpisodeRecord", "EpisodeStore", "StoreProblem"]

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
    """Index of the lockstep batch the episode was played in."""
    elapsed_s: float
    """Seconds from the start of its batch to the end of this episode (measured; differs between runs)."""
    played: PlayedEpisode
    """The episode and the policy's cost."""

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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._load()

    def __contains__(self, key: EpisodeKey) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def append(self, record: EpisodeRecord) -> None:
        """Write one episode durably; an episode already stored is not written again."""
        if record.key in self.records:
            return
        line = json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
        with open(self.path, "ab") as handle:
            handle.write(line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        self.records[record.key] = record

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        complete, _, tail = data.rpartition(b"\n")
        lines = complete.split(b"\n") if complete else []
        if tail:
            # A kill during a write leaves a torn last line; cut it so the next append starts a fresh line.
            problem = "incomplete last line (the run was interrupted while writing it); removed, its episode will run again"
            self.problems.append(StoreProblem(line=len(lines) + 1, reason=problem))
            with open(self.path, "r+b") as handle:
                handle.truncate(len(complete) + 1 if complete else 0)
                handle.flush()
                os.fsync(handle.fileno())
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
