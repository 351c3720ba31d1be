"""Loading QA records through Hugging Face ``datasets`` (the public hub copies, or any local file it reads).

``datasets`` is imported only when this is called, so ``import agent_gym`` stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent_gym.data.files import validate_object
from agent_gym.data.raw import converter
from agent_gym.data.schema import QARecord, RecordSource
from agent_gym.errors import ConfigError, MissingDependency

__all__ = ["HUB_COPIES", "HubCopy", "load_hf"]


class HubCopy(BaseModel):
    """Where a dataset's public copy lives on the Hugging Face hub."""

    model_config = ConfigDict(frozen=True)

    path: str
    """Dataset repository id."""
    name: str | None = None
    """Configuration name, if the repository has several."""
    splits: dict[str, str]
    """agent-gym split name (``train``, ``dev``) → the repository's split name."""
    data_files: dict[str, str] | None = None
    """Files of each repository split, for repositories without a loading script or card config."""


HUB_COPIES: dict[str, HubCopy] = {
    "hotpotqa": HubCopy(path="hotpotqa/hotpot_qa", name="distractor", splits={"train": "train", "dev": "validation"}),
    "2wikimultihopqa": HubCopy(path="xanhho/2WikiMultihopQA", splits={"train": "train", "dev": "dev"}),
    "musique": HubCopy(
        path="dgslibisey/MuSiQue",
        splits={"train": "train", "dev": "validation"},
        data_files={"train": "musique_ans_v1.0_train.jsonl", "validation": "musique_ans_v1.0_dev.jsonl"},
    ),
}
"""The public hub copies :func:`load_hf` reads by default (downloaded by ``datasets`` on first use)."""


def load_hf(
    dataset: str,
    split: str = "dev",
    *,
    path: str | None = None,
    name: str | None = None,
    data_files: str | list[str] | Mapping[str, Any] | None = None,
    limit: int | None = None,
    **load_kwargs: Any,
) -> list[QARecord]:
    """Load ``dataset`` records with ``datasets.load_dataset`` and convert them to the uniform schema.

    With only ``dataset`` and ``split`` this reads the public hub copy (network on first use, then the
    ``datasets`` cache). ``path``/``name``/``data_files`` read anything else ``load_dataset`` can, e.g. a
    local official file: ``load_hf("musique", "train", path="json", data_files="musique_ans_v1.0_dev.jsonl")``;
    ``split`` is then passed to ``load_dataset`` as given.

    Args:
        dataset: ``hotpotqa``, ``2wikimultihopqa`` or ``musique`` (selects the row converter).
        split: ``train`` or ``dev`` for the hub copies; any split name with ``path``.
        path: ``load_dataset``'s first argument (a hub id or a builder such as ``json``/``parquet``).
        name: ``load_dataset``'s configuration name.
        data_files: ``load_dataset``'s ``data_files``.
        limit: Read at most this many rows.
        **load_kwargs: Passed on to ``load_dataset`` (e.g. ``cache_dir``, ``revision``).

    Raises:
        MissingDependency: ``datasets`` is not installed.
        DataError: a row cannot be converted (names the source, row and field).
    """
    convert = converter(dataset)
    if path is None:
        copy = HUB_COPIES[dataset]
        if split not in copy.splits:
            raise ConfigError(f"split {split!r} of {dataset!r}: expected one of {sorted(copy.splits)}")
        path, name, split = copy.path, copy.name, copy.splits[split]
        data_files = copy.data_files if data_files is None else data_files
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is a core dependency
        raise MissingDependency(
            f"loading a Hugging Face dataset needs the 'hub' extra ({exc}); install it with: pip install 'agent-gym[hub]'"
        ) from exc
    rows = datasets.load_dataset(path, name, split=split, data_files=data_files, **load_kwargs)
    label = f"{path}[{split}]"
    source = RecordSource(repo=path, path=str(split))

    def to_record(row: Any) -> dict[str, Any]:
        return {**convert(row), "source": source}

    count = len(rows) if limit is None else min(limit, len(rows))
    return [validate_object(QARecord, rows[i], label, i + 1, to_record) for i in range(count)]
