"""The on-disk index cache: one directory per index, keyed by a hash of the corpus and the settings.

A directory is published atomically (built under a temporary name, then renamed) with a manifest of
the SHA-256 of every file, written last. An entry whose manifest is missing or does not match its files
is corrupt: it is deleted and rebuilt. The root is ``$AGENT_GYM_CACHE`` or ``~/.cache/agent_gym``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["CACHE_ENV_VAR", "cache_key", "cache_root", "cached_directory", "verify_directory"]

CACHE_ENV_VAR = "AGENT_GYM_CACHE"
MANIFEST = "manifest.json"
logger = logging.getLogger(__name__)


def cache_root() -> Path:
    """``$AGENT_GYM_CACHE`` if set, else ``~/.cache/agent_gym``."""
    configured = os.environ.get(CACHE_ENV_VAR)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "agent_gym"


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


def verify_directory(directory: Path) -> bool:
    """True when ``directory`` has a manifest and every file matches it (no file missing, added or changed)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        return isinstance(manifest, dict) and manifest.get("files") == _file_digests(directory)
    except (OSError, ValueError):
        return False


def cached_directory(kind: str, key: str, build: Callable[[Path], None], root: Path | None = None) -> tuple[Path, bool]:
    """The verified cache directory ``<root>/<kind>/<key>``, built with ``build(tmp_dir)`` when absent or corrupt.

    Returns:
        ``(directory, built)``: ``built`` is False when a valid entry was reused.
    """
    root = cache_root() if root is None else root
    target = root / kind / key
    if target.is_dir():
        if verify_directory(target):
            return target, False
        logger.warning("index cache %s is corrupt or incomplete; rebuilding it", target)
        shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=target.parent))
    try:
        build(tmp)
        (tmp / MANIFEST).write_text(json.dumps({"key": key, "files": _file_digests(tmp)}, indent=1))
        try:
            os.replace(tmp, target)
        except OSError:  # another process published the same entry first: use theirs
            if not verify_directory(target):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target, True
