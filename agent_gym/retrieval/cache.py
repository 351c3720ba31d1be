"""The on-disk index cache: one directory per index, keyed by a hash of the corpus and the settings.

An entry ``<root>/<kind>/<key>`` is built under a temporary name in the same folder, then renamed into place,
with ``manifest.json`` written last. The manifest records the entry's key, the fingerprint of the corpus it
was built from and the SHA-256 of every other file. An entry is used only when all of these match; anything
else (a file where the folder should be, a missing manifest, a file missing, added or changed, a manifest
naming another key or corpus) is reported with what is wrong, deleted and rebuilt. A backend that can check
an entry against its corpus after loading it (``bm25`` does) calls :func:`discard_entry` when the check fails:
a manifest rewritten to match altered files passes the checksums but not that check.

A build killed mid-way leaves its temporary folder behind; the next build in the same folder deletes
temporary folders whose process is gone (same host) or that are older than :data:`STALE_AFTER_S` (any host).

The root is :func:`agent_gym.utils.cache_root.cache_root` (``$AGENT_GYM_CACHE`` or ``~/.cache/agent_gym``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agent_gym.utils.cache_root import CACHE_ENV_VAR, cache_root, remove_path

__all__ = [
    "CACHE_ENV_VAR",
    "STALE_AFTER_S",
    "cache_key",
    "cache_root",
    "cached_directory",
    "discard_entry",
    "entry_problem",
    "verify_directory",
]

MANIFEST = "manifest.json"
STALE_AFTER_S = 24 * 3600
"""Age after which a temporary build folder whose owner cannot be checked (another host) is deleted.

Generous because a build on another machine sharing the cache may legitimately take long (a large Lucene index).
"""
_TEMP_NAME = re.compile(r"^\.(?P<key>[0-9a-f]{24})(?:\.(?P<host>[A-Za-z0-9-]*)\.(?P<pid>\d+)\.|-)")
logger = logging.getLogger(__name__)


def cache_key(*parts: str) -> str:
    """A short hex digest of ``parts`` (corpus hash, backend, settings, versions).

    Example:
        >>> cache_key("abc", "bm25", "k1=0.9")
        '19926725215ab953f2debaa0'
    """
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def _file_digests(directory: Path) -> dict[str, str]:
    digests = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            digests[str(path.relative_to(directory))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def entry_problem(directory: Path, fingerprint: str | None = None) -> str | None:
    """What is wrong with the cache entry ``directory``, or None when it can be used.

    Args:
        directory: The entry; its name is its key.
        fingerprint: The corpus fingerprint the manifest must record; None skips this check.

    Returns:
        A phrase that completes "index cache entry <directory> ...", e.g. ``"is a file, not a folder"``.
    """
    if not directory.is_dir():
        if directory.is_file():
            return "is a file, not a folder"
        return "is not a folder" if directory.exists() or directory.is_symlink() else "does not exist"
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        return f"has no {MANIFEST} (its build was interrupted or it was written by hand)"
    except (OSError, ValueError) as exc:
        return f"has an unreadable {MANIFEST} ({exc})"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return f"has a {MANIFEST} without a file list"
    if manifest.get("key") != directory.name:
        return f"has the {MANIFEST} of another entry (key {manifest.get('key')!r})"
    if fingerprint is not None and "corpus" not in manifest:
        return f"has a {MANIFEST} without a corpus fingerprint (written by an older agent-gym)"
    if fingerprint is not None and manifest["corpus"] != fingerprint:
        return f"was built from another corpus (fingerprint {manifest.get('corpus')!r}, expected {fingerprint!r})"
    try:
        actual = _file_digests(directory)
    except OSError as exc:
        return f"has a file that cannot be read ({exc})"
    expected = manifest["files"]
    missing = sorted(expected.keys() - actual.keys())
    unlisted = sorted(actual.keys() - expected.keys())
    changed = [name for name in sorted(actual) if name in expected and actual[name] != expected[name]]
    if missing:
        return f"lacks the file {missing[0]!r}"
    if unlisted:
        return f"has a file its manifest does not list ({unlisted[0]!r})"
    if changed:
        return f"has a file that does not match its checksum ({changed[0]!r})"
    return None


def verify_directory(directory: Path, fingerprint: str | None = None) -> bool:
    """True when :func:`entry_problem` finds nothing wrong with ``directory``."""
    return entry_problem(directory, fingerprint) is None


def discard_entry(directory: Path, problem: str) -> None:
    """Log ``problem`` (completing "index cache entry <directory> ...") and delete the entry so it is rebuilt."""
    logger.warning("index cache entry %s %s; rebuilding it", directory, problem)
    remove_path(directory)


def _host() -> str:
    """This machine and PID namespace: containers sharing a hostname (host networking) have their own pids."""
    try:
        namespace = f"-{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:  # not Linux
        namespace = ""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63] + namespace


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists but belongs to another user
        return True
    return True


def _remove_stale_temps(folder: Path) -> None:
    """Delete temporary build folders under ``folder`` left by builds that were killed.

    The name of a temporary folder says its host (and PID namespace) and process; one of this host whose
    process is gone is stale at once. Processes of other hosts cannot be checked, so theirs (and unnamed ones)
    are stale only after :data:`STALE_AFTER_S`.
    """
    host, now = _host(), time.time()
    for path in folder.iterdir():
        match = _TEMP_NAME.match(path.name)
        if match is None or not path.is_dir():
            continue
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue  # deleted meanwhile
        if match["host"] == host:
            stale = not _process_exists(int(match["pid"]))
        else:
            stale = age > STALE_AFTER_S
        if stale:
            logger.info("removing the temporary folder %s of an interrupted build", path)
            shutil.rmtree(path, ignore_errors=True)


def cached_directory(
    kind: str, key: str, build: Callable[[Path], None], root: Path | None = None, fingerprint: str | None = None
) -> tuple[Path, bool]:
    """The verified cache directory ``<root>/<kind>/<key>``, built with ``build(tmp_dir)`` when absent or bad.

    Args:
        kind: The backend (``"bm25"``, ``"lucene"``): one folder per backend.
        key: The entry's name, from :func:`cache_key`.
        build: Writes the index files into the (empty) folder it is given.
        root: The cache root; None uses :func:`cache_root`.
        fingerprint: The corpus fingerprint to record in the manifest and require of an existing entry.

    Returns:
        ``(directory, built)``: ``built`` is False when a valid entry was reused.

    Raises:
        OSError: the cache location cannot be written.
    """
    root = cache_root() if root is None else root
    target = root / kind / key
    problem = entry_problem(target, fingerprint)
    if problem is None:
        return target, False
    if target.exists() or target.is_symlink():
        discard_entry(target, problem)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.{_host()}.{os.getpid()}.", dir=target.parent))
    try:
        build(tmp)
        manifest = {"key": key, "corpus": fingerprint, "files": _file_digests(tmp)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1))
        try:
            os.replace(tmp, target)
        except OSError:  # another process published the same entry first: use theirs
            if not verify_directory(target, fingerprint):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target, True
