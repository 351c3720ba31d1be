"""Finding the checkpoint a run resumes from: one rule for every trainer that writes ``checkpoint-<step>``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["checkpoint_step", "newest_checkpoint", "newest_trainer_checkpoint"]

_PREFIX = "checkpoint-"


def checkpoint_step(path: str | Path) -> int | None:
    """The step of a ``checkpoint-<step>`` folder name, or None for any other name.

    Example:
        >>> checkpoint_step("runs/x/checkpoint-12"), checkpoint_step("runs/x/checkpoint-12.partial")
        (12, None)
    """
    name = Path(path).name
    digits = name[len(_PREFIX) :]
    return int(digits) if name.startswith(_PREFIX) and digits.isdigit() else None


def newest_checkpoint(output_dir: str | Path, marker: str) -> Path | None:
    """The ``checkpoint-<step>`` folder of ``output_dir`` with the highest step that holds ``marker`` (complete)."""
    found = [p for p in Path(output_dir).glob(_PREFIX + "*") if checkpoint_step(p) is not None and (p / marker).exists()]
    return max(found, key=lambda p: checkpoint_step(p) or 0, default=None)


def newest_trainer_checkpoint(output_dir: str | Path) -> str | None:
    """The newest complete checkpoint of a ``transformers.Trainer`` (TRL's GRPO and SFT), as TRL takes it."""
    found = newest_checkpoint(output_dir, "trainer_state.json")
    return str(found) if found is not None else None
