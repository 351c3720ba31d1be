"""Running the leaderboard: plan the cells, play what is missing in fixed batches, store each episode at once.

Every episode is keyed by (method, dataset, question index) and seeded from that key alone. Questions are cut
into fixed batches (``0..B-1``, ``B..2B-1``, ...), played at once (episodes join and leave the policy's decode
batch as they go); a batch with a missing episode is played whole, and only its missing episodes are written.
A batch therefore always has the same members, so even a batched model that pads its inputs gives the same
turns in a resumed run as in an uninterrupted one.

A run is checked whole before it touches the disk or loads a model: names, every env built once with the run's
keyword arguments, the question counts, each method against each env, and the generation options of every
policy. Only then does it lock its folder (:mod:`.folder`) and open the results file.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
from pydantic import BaseModel, ConfigDict

from agent_gym.baselines.base_tool_call import BaseToolCall
from agent_gym.baselines.method import Method, PlayedEpisode, TaskSpec
from agent_gym.baselines.naive_rag import NaiveRAG
from agent_gym.errors import ConfigError
from agent_gym.rollout.policy import Policy
from agent_gym.rollout.ray_pool import RayOptions

from .config import BASE_METHODS, DATASETS, METHODS, LeaderboardConfig, package_versions, resolve_dataset
from .folder import FolderLock, pin_config
from .policies import check_policy_options, load_policy, policy_builder, policy_label
from .store import EpisodeRecord, EpisodeStore

__all__ = [
    "Batch",
    "Cell",
    "LeaderboardRun",
    "PolicyLoader",
    "make_method",
    "method_label",
    "method_problem",
    "play_batch",
    "policy_spec",
    "task_count",
]

PolicyLoader = Callable[[str, dict[str, Any]], Policy]
"""(spec, generation options) -> Policy."""


class Cell(BaseModel):
    """One method on one dataset: the questions to play."""

    model_config = ConfigDict(frozen=True)

    method: str
    dataset: str
    env_id: str
    indices: tuple[int, ...]


def method_label(method: str) -> str:
    """Display name of a method id.

    Example:
        >>> method_label("naive-rag"), method_label("policy:runs/grpo/checkpoint-40")
        ('Naive RAG', 'Tool Call: checkpoint-40')
    """
    if method in METHODS:
        return METHODS[method]
    return "Tool Call: " + policy_label(method.removeprefix("policy:"))


def task_count(env: gym.Env) -> int | None:
    """How many questions an env has (``num_questions``, ``num_tasks`` or ``len(records)``); None when unbounded."""
    inner = env.unwrapped
    for attribute in ("num_questions", "num_tasks", "records"):
        value = getattr(inner, attribute, None)
        if isinstance(value, int):
            return value
        if value is not None and hasattr(value, "__len__"):
            return len(value)
    return None


def method_problem(method: str, env: gym.Env) -> str | None:
    """Why ``method`` cannot play ``env``, or None when it can.

    Naive RAG reads passages from the env's own retriever (``env.unwrapped.retriever``), as
    :class:`~agent_gym.baselines.naive_rag.NaiveRAG` does; the tool-calling methods play any env.
    """
    if method == "naive-rag" and getattr(env.unwrapped, "retriever", None) is None:
        env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
        return (
            f"naive-rag cannot run on {env_id}: the env has no retriever to take passages from; "
            f"leave naive-rag out (--methods base-tool-call) or choose a QA dataset ({', '.join(DATASETS)})"
        )
    return None


class LeaderboardRun:
    """One run: its folder (``config.json``, ``episodes.jsonl``, the reports) and how to fill it.

    Constructing it checks the whole run (nothing is written, no model is loaded); :meth:`open`, or entering it
    as a context manager, locks the folder and opens the results file; :meth:`run` plays what is missing.

    Args:
        config: What to run.
        out_dir: The run's folder; a rerun with the same folder and config resumes it.
        policy_loader: (spec, options) -> Policy (the default builds real ones).
        policy_checker: (spec, options) -> anything; raises for a bad spec (cheap: runs for every spec first).
        progress: Show a tqdm progress bar on stderr.
        ray: Play the batches on a Ray cluster (:mod:`.ray_play`); None plays them in this process. The run's
            folder, results file and episodes are the same either way.

    Raises:
        ConfigError: an unknown name, an env the run cannot use, a method that cannot play an env, a bad
            generation option.
    """

    def __init__(
        self,
        config: LeaderboardConfig,
        out_dir: str | Path,
        *,
        policy_loader: PolicyLoader = load_policy,
        policy_checker: Callable[[str, dict[str, Any]], Any] = policy_builder,
        progress: bool = True,
        ray: RayOptions | None = None,
    ):
        self.config = config.check_names()
        self.ray = ray
        self.failures: list[str] = []
        """Episodes the last :meth:`run` could not play (on Ray: after every retry), as report notes."""
        self.out_dir = Path(out_dir)
        self.fingerprint = config.fingerprint()
        self.policy_loader = policy_loader
        self.policy_checker = policy_checker
        self.progress = progress
        for spec in dict.fromkeys(policy_spec(self.config, m) for m in self.config.method_ids()):
            check_policy_options(spec, self.config.policy_options)
        self.cells = self.plan()
        self.versions: dict[str, str] = package_versions()
        """The package versions pinned in the run's ``config.json`` (this process's until the run is opened)."""
        self._lock: FolderLock | None = None
        self._store: EpisodeStore | None = None
        self._policies: dict[str, Policy] = {}

    def open(self) -> LeaderboardRun:
        """Lock the run's folder, pin or check its ``config.json`` and open its results file (idempotent).

        Raises:
            ResultsError: another run holds the folder, or a file in it cannot be read or written.
            ConfigError: the folder holds a run of another config.
        """
        if self._lock is not None:
            return self
        lock = FolderLock.acquire(self.out_dir)
        try:
            self.versions = pin_config(self.out_dir, self.fingerprint, self.config.model_dump(mode="json"), self.versions)
            self._store = EpisodeStore(self.out_dir / "episodes.jsonl", self.fingerprint)
        except BaseException:
            lock.release()
            raise
        self._lock = lock
        return self

    def close(self) -> None:
        """Unlock the folder; the episodes read so far stay in :attr:`store`."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> LeaderboardRun:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def store(self) -> EpisodeStore:
        """The run's results file (once the run is open)."""
        if self._store is None:
            raise ConfigError("the run is not open yet; use `with LeaderboardRun(...) as run:` or call run.open()")
        return self._store

    def plan(self) -> list[Cell]:
        """The cells of the run, methods outer, datasets inner, in config order.

        Raises:
            ConfigError: an env that does not take the run's keyword arguments, that has no fixed number of
                questions while ``limit`` is None, or that a method cannot play.
        """
        cells = []
        for dataset in self.config.datasets:
            env_id, _ = resolve_dataset(dataset)
            kwargs = self.config.make_kwargs(dataset)
            try:
                env = gym.make(env_id, **kwargs)
            except TypeError as exc:  # an argument the env's constructor does not have
                raise ConfigError(f"{env_id} does not take the --env-kwarg options {kwargs} ({exc})") from None
            try:
                available = task_count(env)
                problems = [p for p in (method_problem(m, env) for m in self.config.method_ids()) if p]
            finally:
                env.close()
            if problems:
                raise ConfigError(problems[0])
            if available is None and self.config.limit is None:
                raise ConfigError(f"{env_id} has no fixed number of questions; give --limit")
            n = available if self.config.limit is None else min(self.config.limit, available or self.config.limit)
            for method in self.config.method_ids():
                cells.append(Cell(method=method, dataset=dataset, env_id=env_id, indices=tuple(range(n))))
        order = {m: i for i, m in enumerate(self.config.method_ids())}
        return sorted(cells, key=lambda c: order[c.method])

    def run(self) -> list[Cell]:
        """Play every missing episode of the plan (opening the run first if needed); return the plan."""
        from tqdm.auto import tqdm

        self.open()
        cells = self.cells
        total = sum(len(c.indices) for c in cells)
        done = sum(1 for c in cells for i in c.indices if (c.method, c.dataset, i) in self.store)
        needed = [c.method for c in cells if any((c.method, c.dataset, i) not in self.store for i in c.indices)]
        # A bad name or a dead endpoint fails before any model loads.
        for spec in dict.fromkeys(policy_spec(self.config, m) for m in needed):
            self.policy_checker(spec, dict(self.config.policy_options))
        if self.ray is None:  # on Ray, the workers load the policies; this process only stores what they play
            for method in dict.fromkeys(needed):
                self._method(method)
        with tqdm(total=total, initial=done, desc="leaderboard", unit="ep", disable=not self.progress, file=sys.stderr) as bar:
            if self.ray is not None:
                from .ray_play import play_on_ray

                self.failures = play_on_ray(self, [b for c in cells for b in self.missing_batches(c)], self.ray, bar)
                return cells
            for cell in cells:
                missing = [i for i in cell.indices if (cell.method, cell.dataset, i) not in self.store]
                if not missing:
                    continue
                bar.set_postfix_str(f"{method_label(cell.method)} / {cell.dataset}")
                self._play_cell(cell, bar)
        return cells

    def missing_batches(self, cell: Cell) -> list[Batch]:
        """The cell's batches that have an episode missing from the store (played whole)."""
        size = self.config.batch_size
        batches = []
        for number, start in enumerate(range(0, len(cell.indices), size)):
            members = cell.indices[start : start + size]
            if any((cell.method, cell.dataset, i) not in self.store for i in members):
                batches.append(Batch(cell=cell, number=number, members=members))
        return batches

    def record(self, batch: Batch, slot: int, played: PlayedEpisode, elapsed_s: float) -> bool:
        """Store the episode of ``batch.members[slot]`` unless it is stored already; True when it was stored now."""
        key = (batch.cell.method, batch.cell.dataset, batch.members[slot])
        if key in self.store:
            return False
        record = EpisodeRecord(
            run=self.fingerprint,
            method=key[0],
            dataset=key[1],
            index=key[2],
            batch=batch.number,
            elapsed_s=round(elapsed_s, 6),
            played=played,
        )
        self.store.append(record)
        return True

    def _play_cell(self, cell: Cell, bar: Any) -> None:
        method = self._method(cell.method)
        kwargs = self.config.make_kwargs(cell.dataset)
        envs = [gym.make(cell.env_id, **kwargs) for _ in range(min(self.config.batch_size, len(cell.indices)))]
        try:
            for batch in self.missing_batches(cell):
                for slot, played, elapsed in play_batch(method, envs, batch.tasks(self.config)):
                    bar.update(self.record(batch, slot, played, elapsed))
        finally:
            for env in envs:
                env.close()

    def _method(self, method: str) -> Method:
        spec = policy_spec(self.config, method)
        if spec not in self._policies:
            self._policies[spec] = self.policy_loader(spec, dict(self.config.policy_options))
        return make_method(self.config, method, self._policies[spec])


class Batch(BaseModel):
    """One batch of a cell: its members are fixed by the batch size, whichever machine plays it."""

    model_config = ConfigDict(frozen=True)

    cell: Cell
    number: int
    """Position of the batch in its cell (stored with each of its episodes)."""
    members: tuple[int, ...]
    """Question indices, in slot order."""

    def tasks(self, config: LeaderboardConfig) -> list[TaskSpec]:
        """How to reset the env for each member: seeded from (method, dataset, index) alone."""
        return [
            TaskSpec(seed=config.episode_seed(self.cell.method, self.cell.dataset, i), options={"index": i}) for i in self.members
        ]


def policy_spec(config: LeaderboardConfig, method: str) -> str:
    """The policy spec a method plays: built-in baselines play the base policy; a policy method names its own."""
    return config.base_policy if method in BASE_METHODS else method.removeprefix("policy:")


def make_method(config: LeaderboardConfig, method: str, policy: Policy) -> Method:
    """The :class:`Method` of a method id, acting with ``policy``."""
    if method == "naive-rag":
        return NaiveRAG(policy, k=config.k)
    return BaseToolCall(policy, name=method_label(method))


def play_batch(method: Method, envs: list[gym.Env], tasks: list[TaskSpec]) -> Iterator[tuple[int, PlayedEpisode, float]]:
    """Play one batch, its episodes at once; yield ``(slot, episode, seconds since the batch started)`` as each finishes."""
    started = time.perf_counter()
    for slot, played in method.play(envs[: len(tasks)], tasks):
        yield slot, played, time.perf_counter() - started
