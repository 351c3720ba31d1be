"""The run folder: one run at a time, its pinned config, atomic writes, and disk failures as one-line errors.

A run holds an exclusive ``flock`` on ``run.lock`` inside its folder for as long as it works there, and writes
its pid, host and start time into that file, so a second run on the same folder is refused at once and told who
holds it. The kernel drops a ``flock`` when its process ends however it ends (SIGKILL included), so a killed run
never blocks the next one and the file needs no cleaning up; it is never deleted, because a run that deleted it
could let two later runs lock two different files. Every ``OSError`` met in the folder becomes a
:class:`~agent_gym.errors.ResultsError` that names the file and the fix; nothing already stored is removed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agent_gym.errors import ConfigError, ResultsError

__all__ = ["CONFIG_NAME", "LOCK_NAME", "FolderLock", "LockHolder", "disk_error", "pin_config", "write_atomic"]

LOCK_NAME = "run.lock"
"""The lock file inside a run folder."""

CONFIG_NAME = "config.json"
"""The run's pinned config inside a run folder."""

_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM})
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def disk_error(exc: OSError, path: Path) -> ResultsError:
    """The one-line :class:`ResultsError` for an ``OSError`` met on ``path`` of a run folder, with the fix.

    Example:
        >>> print(disk_error(OSError(errno.EIO, "Input/output error"), Path("out/episodes.jsonl")))
        cannot use out/episodes.jsonl (Input/output error); fix that and run the same command again: it resumes
    """
    reason = exc.strerror or type(exc).__name__
    if exc.errno in _FULL:
        return ResultsError(
            f"no space left on the disk of {path}; free some space and run the same command again: "
            "it resumes, and everything stored so far is kept"
        )
    if exc.errno in _NOT_WRITABLE:
        return ResultsError(
            f"cannot write {path} ({reason}); make {path.parent} writable (e.g. chmod -R u+w {path.parent}) "
            "or give another --out; nothing stored there was changed"
        )
    if exc.errno == errno.EROFS:
        return ResultsError(
            f"cannot write {path} ({reason}); remount it writable or give another --out; nothing stored there was changed"
        )
    if exc.errno == errno.EISDIR:
        return ResultsError(
            f"{path} is a directory, not a file; move it out of the way (e.g. mv {path} {path}.moved) "
            "and run the same command again"
        )
    return ResultsError(f"cannot use {path} ({reason}); fix that and run the same command again: it resumes")


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file so that a kill or a full disk leaves either the old or the new version, never half of one.

    Raises:
        ResultsError: the file could not be written (the temporary file is removed, the old version kept).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    view = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise disk_error(exc, path) from None


class LockHolder(BaseModel):
    """Who holds a run folder: what ``run.lock`` says while a run works in the folder."""

    model_config = ConfigDict(frozen=True)

    pid: int
    """Process id of the run."""
    host: str
    """Host name of the machine it runs on."""
    started: str
    """When it took the lock (ISO 8601, UTC)."""

    @classmethod
    def now(cls) -> LockHolder:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(pid=os.getpid(), host=socket.gethostname(), started=started)

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}"


class FolderLock:
    """The exclusive lock of a run folder, held from :meth:`acquire` until :meth:`release` or the process ends."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock:
        """Create ``folder`` if needed and lock it for this process, without waiting.

        Raises:
            ResultsError: another process holds the folder (the message names it and how to go on), or the
                folder cannot be written.
        """
        path = folder / LOCK_NAME
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # os.open makes the descriptor non-inheritable: a child process must not keep the lock alive.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise disk_error(exc, Path(exc.filename) if exc.filename else path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ResultsError(_busy_message(folder, holder)) from None
        except OSError as exc:
            os.close(fd)
            raise disk_error(exc, path) from None
        lock = cls(path, fd)
        try:
            data = (LockHolder.now().model_dump_json() + "\n").encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        except OSError as exc:
            lock.release()
            raise disk_error(exc, path) from None
        return lock

    def release(self) -> None:
        """Unlock the folder (idempotent); the lock file stays."""
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor of the open file drops the flock
            self._fd = None


def _read_holder(fd: int) -> LockHolder | None:
    try:
        return LockHolder.model_validate_json(os.pread(fd, 4096, 0))
    except (OSError, ValidationError):  # the holder has not written it yet, or it was damaged
        return None


def _busy_message(folder: Path, holder: LockHolder | None) -> str:
    if holder is None:
        who, stop = "(it has not written its pid yet)", "stop it"
    else:
        where = "" if holder.host == socket.gethostname() else f" on {holder.host}"
        who, stop = f"({holder})", f"stop it (kill {holder.pid}{where})"
    return (
        f"{folder} is in use by another leaderboard run {who}; wait for it to finish, or {stop} and run the same "
        "command again to resume, or give another --out"
    )


def pin_config(folder: Path, fingerprint: str, config: dict[str, Any], versions: dict[str, str]) -> dict[str, str]:
    """Write ``config.json`` on a run's first start; on a resume check it is the same run. Return the pinned versions.

    Raises:
        ConfigError: the folder holds a run of another config.
        ResultsError: ``config.json`` is damaged or cannot be read or written.
    """
    path = folder / CONFIG_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        pinned = {"fingerprint": fingerprint, "config": config, "versions": versions}
        write_atomic(path, json.dumps(pinned, indent=2) + "\n")
        return versions
    except OSError as exc:
        raise disk_error(exc, path) from None
    old = _parse_pinned(path, raw)
    if old["fingerprint"] != fingerprint:
        raise ConfigError(
            f"{folder} holds run {old['fingerprint']} with another config; "
            "use another --out folder (or delete this one) to start a new run"
        )
    if old.get("versions") != versions:
        print(f"warning: package versions differ from the ones pinned in {path}; resuming anyway", file=sys.stderr)
    return old.get("versions") or versions


def _parse_pinned(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        old = json.loads(raw.decode("utf-8"))
        problem = None if isinstance(old, dict) and isinstance(old.get("fingerprint"), str) else "no run fingerprint in it"
    except ValueError as exc:  # not UTF-8 or not JSON
        old, problem = None, f"not JSON: {exc}"
    if problem is not None:
        raise ResultsError(
            f"{path} is damaged ({problem}); delete it and run the same command again: it is written anew, "
            "and the episodes stored in episodes.jsonl are kept"
        )
    return old
