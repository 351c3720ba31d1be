"""Checkpoints of every trainer that writes ``checkpoint-<step>``: which one a run resumes from, and the adapter
snapshot each one leaves behind for the held-out learning curve."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["adapter_snapshots", "checkpoint_step", "newest_checkpoint", "newest_trainer_checkpoint", "snapshot_adapter"]

_PREFIX = "checkpoint-"
_SNAPSHOTS = "adapters"
_SNAPSHOT_PREFIX = "step-"
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def checkpoint_step(path: str | Path) -> int | None:
    """The step of a ``checkpoint-<step>`` folder name, or None for any other name.

    Example:
        >>> checkpoint_step("runs/x/checkpoint-12"), checkpoint_step("runs/x/checkpoint-12.partial")
        (12, None)
    """
    return _step(path, _PREFIX)


def _step(path: str | Path, prefix: str) -> int | None:
    """The step of a ``<prefix><step>`` folder name, or None for any other name."""
    name = Path(path).name
    digits = name[len(prefix) :]
    return int(digits) if name.startswith(prefix) and digits.isdigit() else None


def newest_checkpoint(output_dir: str | Path, marker: str) -> Path | None:
    """The ``checkpoint-<step>`` folder of ``output_dir`` with the highest step that holds ``marker`` (complete)."""
    found = [p for p in Path(output_dir).glob(_PREFIX + "*") if checkpoint_step(p) is not None and (p / marker).exists()]
    return max(found, key=lambda p: checkpoint_step(p) or 0, default=None)


def newest_trainer_checkpoint(output_dir: str | Path) -> str | None:
    """The newest complete checkpoint of a ``transformers.Trainer`` (TRL's GRPO and SFT), as TRL takes it."""
    found = newest_checkpoint(output_dir, "trainer_state.json")
    return str(found) if found is not None else None


def snapshot_adapter(checkpoint: str | Path, output_dir: str | Path) -> Path | None:
    """Copy a checkpoint's adapter (about 4 MB at rank 4) to ``output_dir/adapters/step-<step>``.

    Trainers keep only their newest checkpoints (optimizer state included, ~18 MB each); the snapshots stay, so
    the model of every saved step can be scored afterwards. A checkpoint without an adapter (a full fine-tune)
    leaves none: its weights are too large to keep at every step.
    """
    checkpoint = Path(checkpoint)
    step = checkpoint_step(checkpoint)
    if step is None or not all((checkpoint / name).is_file() for name in _ADAPTER_FILES):
        return None
    target = Path(output_dir) / _SNAPSHOTS / f"{_SNAPSHOT_PREFIX}{step}"
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in _ADAPTER_FILES:
        shutil.copy2(checkpoint / name, partial / name)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def adapter_snapshots(output_dir: str | Path) -> dict[int, Path]:
    """The complete adapter snapshots of a run, by step (see :func:`snapshot_adapter`)."""
    found = {}
    for path in (Path(output_dir) / _SNAPSHOTS).glob(_SNAPSHOT_PREFIX + "*"):
        step = _step(path, _SNAPSHOT_PREFIX)
        if step is not None and all((path / name).is_file() for name in _ADAPTER_FILES):
            found[step] = path
    return dict(sorted(found.items()))
