"""Where agent-gym keeps what it builds once and reuses: ``$AGENT_GYM_CACHE``, else ``~/.cache/agent_gym``.

Index entries (:mod:`agent_gym.retrieval.cache`) and the embedded model's converted checkpoint
(:mod:`agent_gym.baselines.policies.embedded`) live in folders under this one root.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["CACHE_ENV_VAR", "cache_root", "remove_path"]

CACHE_ENV_VAR = "AGENT_GYM_CACHE"


def cache_root() -> Path:
    """``$AGENT_GYM_CACHE`` if set (``~`` expanded), else ``~/.cache/agent_gym``."""
    configured = os.environ.get(CACHE_ENV_VAR)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "agent_gym"


def remove_path(path: Path) -> None:
    """Delete a cache folder or file, whatever is there (a link is removed, never followed); missing is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
