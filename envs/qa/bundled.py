"""The QA records bundled with agent-gym: real HotpotQA, 2WikiMultihopQA and MuSiQue questions (``envs/data``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from agent_gym.data import DATASETS, QARecord, load_jsonl
from agent_gym.errors import ConfigError, did_you_mean

__all__ = ["ALIASES", "SPLITS", "bundled_path", "load_bundled", "resolve_datasets"]

SPLITS: tuple[str, ...] = ("dev", "train")
"""Bundled splits: ``dev`` (865 HotpotQA, 657 2Wiki, 292 MuSiQue) and ``train`` (200, 500, 100)."""
ALIASES: dict[str, str] = {
    "hotpot": "hotpotqa",
    "hotpot_qa": "hotpotqa",
    "2wiki": "2wikimultihopqa",
    "twowiki": "2wikimultihopqa",
    "twowikimultihopqa": "2wikimultihopqa",
    "2wikimqa": "2wikimultihopqa",
}
"""Other spellings accepted for dataset names."""


def resolve_datasets(dataset: str | Sequence[str] | None) -> tuple[str, ...]:
    """Canonical dataset names: None or ``"all"`` means all three.

    Example:
        >>> resolve_datasets("2wiki"), resolve_datasets(None)
        (('2wikimultihopqa',), ('hotpotqa', '2wikimultihopqa', 'musique'))
    """
    if dataset is None or dataset == "all":
        return DATASETS
    names = [dataset] if isinstance(dataset, str) else list(dataset)
    resolved = []
    for name in names:
        key = ALIASES.get(str(name).lower(), str(name).lower())
        if key not in DATASETS:
            hint = did_you_mean(str(name).lower(), [*DATASETS, *ALIASES])
            raise ConfigError(f"unknown dataset {name!r}; expected one of {list(DATASETS)} or 'all'.{hint}")
        resolved.append(key)
    if not resolved:
        raise ConfigError("dataset list is empty; name at least one of " + ", ".join(DATASETS))
    return tuple(dict.fromkeys(resolved))


def bundled_path(dataset: str, split: str) -> Path:
    """Path of the bundled file of ``dataset`` and ``split``."""
    if split not in SPLITS:
        hint = " ('validation' is called 'dev' here)" if split in ("validation", "val") else ""
        raise ConfigError(f"unknown split {split!r}; the bundled splits are {list(SPLITS)}{hint}")
    (name,) = resolve_datasets(dataset)
    return Path(str(resources.files("agent_gym.envs.data").joinpath(f"{name}-{split}.jsonl.gz")))


@functools.cache
def load_bundled(dataset: str, split: str = "dev") -> tuple[QARecord, ...]:
    """The bundled records of one dataset and split (read once per process)."""
    return tuple(load_jsonl(bundled_path(dataset, split)))
