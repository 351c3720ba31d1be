"""The rollout engine on a Ray cluster: the same ``run`` contract as :class:`~agent_gym.rollout.RolloutEngine`.

Each worker is a Ray actor holding its own :class:`~agent_gym.rollout.RolloutEngine`: ``envs_per_worker`` env
instances and a policy built *in the worker* from a factory (an endpoint client, the embedded model, the
oracle). The driver cuts the seeds into units of ``envs_per_worker`` episodes and an
:class:`~agent_gym.rollout.ray_pool.ActorPool` spreads them over the workers. An episode is a value: (env id,
env kwargs, reset options, seed) determines it, and the worker plays it with the one episode runner the local
engine uses, so the JSONL is the same bytes whichever worker plays which episode, in whatever order.

Faults are data (see :mod:`agent_gym.rollout.ray_pool`): an episode whose worker died or ran past
``episode_timeout_s`` is played again; after ``max_attempts`` it is left out of the returned episodes and
recorded in :attr:`RayRolloutEngine.failures` (and in ``<out>.failed.jsonl`` next to the episodes).

Example (a two-worker cluster on one machine: ``ray start --head --num-cpus 2``)::

    engine = RayRolloutEngine("MultiHopQA-v0", OraclePolicy, workers=2, envs_per_worker=4)
    episodes = engine.run(range(32), out="qa.jsonl")
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agent_gym.errors import ConfigError
from agent_gym.rollout.engine import EnvSpec, RolloutEngine, RolloutStats
from agent_gym.rollout.jsonl import EpisodeWriter
from agent_gym.rollout.policy import Policy
from agent_gym.rollout.ray_pool import ActorPool, EpisodeFailure, ray_options
from agent_gym.types import Episode

__all__ = ["RayRolloutEngine", "RolloutWorker"]

PolicySource = Policy | Callable[[], Policy]
"""A policy to ship to every worker (it must pickle), or a zero-argument factory each worker calls once."""


class RolloutWorker:
    """One Ray actor's state: a local rollout engine over its own env instances and policy.

    Args:
        env: A registered env id or an env factory.
        policy: A Policy or a factory of one (called here, in the worker's process).
        engine_kwargs: :class:`~agent_gym.rollout.RolloutEngine` options.
    """

    def __init__(self, env: EnvSpec, policy: PolicySource, engine_kwargs: dict[str, Any]):
        import agent_gym  # noqa: F401 - a fresh worker process registers the envs

        built = policy if isinstance(policy, Policy) and not isinstance(policy, type) else policy()
        self.engine = RolloutEngine(env, built, **engine_kwargs)

    def play(self, seeds: list[int], options: list[dict[str, Any] | None]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Play one unit; per episode, its JSON record and the unit's stats (counted once, on the first)."""
        episodes = self.engine.run(seeds, options=options)
        stats = self.engine.stats.model_dump() if self.engine.stats is not None else {}
        return [(e.model_dump(mode="json"), stats if i == 0 else {}) for i, e in enumerate(episodes)]


class RayRolloutEngine:
    """Runs episodes of one env on Ray workers; a drop-in for :class:`~agent_gym.rollout.RolloutEngine`.

    Args:
        env: A registered env id or a picklable factory of fresh env instances.
        policy: A picklable Policy, or a zero-argument factory of one (a class such as ``OraclePolicy``, or
            ``functools.partial(make_policy, "embedded")``); each worker builds its own.
        max_batch: Most histories per ``policy.act`` call in a worker; None means ``envs_per_worker``.
        env_kwargs: ``gym.make`` arguments when ``env`` is an id.
        reset_options: ``options`` passed to every ``reset``.
        progress: Show a tqdm progress bar.
        **cluster: :class:`~agent_gym.rollout.ray_pool.RayOptions` fields: ``address``, ``workers``,
            ``envs_per_worker`` (each worker's engine ``concurrency``, and the episodes of one Ray call),
            ``episode_timeout_s``, ``max_attempts``, ``worker_cpus``.
    """

    def __init__(
        self,
        env: EnvSpec,
        policy: PolicySource,
        *,
        max_batch: int | None = None,
        env_kwargs: dict[str, Any] | None = None,
        reset_options: dict[str, Any] | None = None,
        progress: bool = False,
        **cluster: Any,
    ):
        if not (isinstance(policy, Policy) or callable(policy)):
            raise ConfigError(f"{policy!r} is neither a Policy nor a factory of one")
        if not isinstance(env, str) and not callable(env):
            raise ConfigError(f"env must be a registered id or a factory returning an env, got {type(env).__name__}")
        self.options = ray_options(**cluster)
        engine_kwargs = {
            "concurrency": self.options.envs_per_worker,
            "max_batch": max_batch,
            "env_kwargs": dict(env_kwargs or {}),
            "reset_options": dict(reset_options or {}),
        }
        self.progress = progress
        self._pool = ActorPool(RolloutWorker, (env, policy, engine_kwargs), self.options)
        self.stats: RolloutStats | None = None
        """Timings of the last run, summed over the workers' engines (``wall_s`` is the driver's)."""
        self.failures: list[EpisodeFailure] = []
        """Episodes of the last run that could not be played, with the reason."""
        self.replaced_workers = 0
        """Workers replaced during the last run (died, or killed for the time limit)."""

    def run(
        self,
        seeds: Sequence[int],
        *,
        options: Sequence[Mapping[str, Any] | None] | None = None,
        out: str | Path | None = None,
        on_episode: Callable[[Episode], None] | None = None,
    ) -> list[Episode]:
        """Run one episode per seed; return the played ones in seed order (as :meth:`RolloutEngine.run`)."""
        from tqdm.auto import tqdm

        seeds = [int(s) for s in seeds]
        if options is not None and len(options) != len(seeds):
            raise ConfigError(f"need one options entry per seed, got {len(options)} for {len(seeds)} seeds")
        per_episode = [dict(o) if o else None for o in (options or [None] * len(seeds))]
        started = time.perf_counter()
        pool = self._pool  # workers start with the first unit, and stay for the next run
        replaced_before = pool.replaced
        size = self.options.envs_per_worker
        units = [list(range(start, min(start + size, len(seeds)))) for start in range(0, len(seeds), size)]
        results: list[Episode | None] = [None] * len(seeds)
        self.failures, totals = [], dict.fromkeys(("turns", "policy_calls", "policy_errors", "policy_s"), 0.0)
        writer = EpisodeWriter(out) if out is not None else None

        def call(actor: Any, items: list[int]) -> Any:
            return actor.play.remote([seeds[i] for i in items], [per_episode[i] for i in items])

        try:
            with tqdm(total=len(seeds), disable=not self.progress, desc="ray rollout", unit="ep") as bar:
                for index, outcome in pool.run(units, call):
                    bar.update(1)
                    if isinstance(outcome, EpisodeFailure):
                        self.failures.append(outcome)
                        continue
                    record, stats = outcome
                    for key in totals:
                        totals[key] += stats.get(key, 0)
                    episode = results[index] = Episode.model_validate(record)
                    if writer is not None:
                        writer.add(index, episode)
                    if on_episode is not None:
                        on_episode(episode)
        finally:
            if writer is not None:
                writer.close()
        self.failures.sort(key=lambda f: f.index)
        self.replaced_workers = pool.replaced - replaced_before
        if out is not None:
            _write_failures(Path(out), self.failures, seeds)
        played = [episode for episode in results if episode is not None]
        self.stats = RolloutStats(
            episodes=len(played),
            turns=int(totals["turns"]),
            policy_calls=int(totals["policy_calls"]),
            policy_errors=int(totals["policy_errors"]),
            wall_s=round(time.perf_counter() - started, 6),
            policy_s=round(totals["policy_s"], 6),
        )
        return played

    def close(self) -> None:
        """Kill the workers (the next :meth:`run` starts new ones)."""
        self._pool.close()

    def __enter__(self) -> RayRolloutEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_failures(out: Path, failures: list[EpisodeFailure], seeds: list[int]) -> None:
    """``<out>.failed.jsonl``: one line per failed episode (its seed too), or no file when none failed."""
    path = out.with_name(out.name + ".failed.jsonl")
    if not failures:
        path.unlink(missing_ok=True)
        return
    with path.open("w", encoding="utf-8") as handle:
        for failure in failures:
            handle.write(json.dumps({**failure.model_dump(), "seed": seeds[failure.index]}) + "\n")
