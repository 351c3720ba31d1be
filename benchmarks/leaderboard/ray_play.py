"""The leaderboard's batches on a Ray cluster: workers play them, this process stores what comes back.

Each worker is a Ray actor that loads the run's policies itself (once per spec) and plays one batch
at a time with the same :func:`~.runner.play_batch` as a local run; the batch's members and seeds are fixed by
the run's config, so an episode is the same wherever it is played. Only the driver writes the results file,
as episodes arrive (append-only, one durable line each), so a run stopped at any moment resumes, locally or on
Ray, with the episodes stored so far. A batch whose worker died or ran past the time limit is played again
whole (its members are part of its episodes' identity); one that fails every attempt is left out of the
store, reported in the run's notes, and played by the next run of the same command.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agent_gym.baselines.method import PlayedEpisode
from agent_gym.rollout.policy import Policy
from agent_gym.rollout.ray_pool import ActorPool, EpisodeFailure, RayOptions

from .config import LeaderboardConfig
from .runner import Batch, LeaderboardRun, PolicyLoader, make_method, play_batch, policy_spec

__all__ = ["LeaderboardWorker", "play_on_ray"]


class LeaderboardWorker:
    """One Ray actor: the run's config, its policies (loaded on first use) and a set of envs per dataset.

    Args:
        config: The run's config, as JSON.
        policy_loader: (spec, options) -> Policy, called in the worker.
    """

    def __init__(self, config: dict[str, Any], policy_loader: PolicyLoader):
        import agent_gym  # noqa: F401 - a fresh worker process registers the envs

        self.config = LeaderboardConfig.model_validate(config)
        self.policy_loader = policy_loader
        self._policies: dict[str, Policy] = {}
        self._envs: dict[str, list[gym.Env]] = {}

    def play(self, batches: list[dict[str, Any]]) -> list[list[tuple[int, dict[str, Any], float]]]:
        """Play each batch; per batch, ``(slot, played episode as JSON, seconds since the batch started)``."""
        return [self._play(Batch.model_validate(batch)) for batch in batches]

    def _play(self, batch: Batch) -> list[tuple[int, dict[str, Any], float]]:
        spec = policy_spec(self.config, batch.cell.method)
        if spec not in self._policies:
            self._policies[spec] = self.policy_loader(spec, dict(self.config.policy_options))
        method = make_method(self.config, batch.cell.method, self._policies[spec])
        if batch.cell.dataset not in self._envs:
            kwargs = self.config.make_kwargs(batch.cell.dataset)
            self._envs[batch.cell.dataset] = [gym.make(batch.cell.env_id, **kwargs) for _ in range(self.config.batch_size)]
        played = play_batch(method, self._envs[batch.cell.dataset], batch.tasks(self.config))
        return [(slot, episode.model_dump(mode="json"), elapsed) for slot, episode, elapsed in played]


def play_on_ray(run: LeaderboardRun, batches: list[Batch], options: RayOptions, bar: Any) -> list[str]:
    """Play ``batches`` of ``run`` on Ray workers, storing each episode as it arrives; return the failures as notes."""
    if not batches:
        return []
    pool = ActorPool(LeaderboardWorker, (run.config.model_dump(mode="json"), run.policy_loader), options, split_retries=False)
    payloads = [batch.model_dump(mode="json") for batch in batches]
    units = [[i] for i in range(len(batches))]
    failures: list[str] = []
    try:
        for index, outcome in pool.run(units, lambda worker, items: worker.play.remote([payloads[i] for i in items])):
            batch = batches[index]
            if isinstance(outcome, EpisodeFailure):
                failures.append(_failure_note(batch, outcome))
                continue
            for slot, played, elapsed in outcome:
                bar.update(run.record(batch, slot, PlayedEpisode.model_validate(played), elapsed))
    finally:
        pool.close()
    return failures


def _failure_note(batch: Batch, failure: EpisodeFailure) -> str:
    cell = batch.cell
    return (
        f"{cell.method}/{cell.dataset} batch {batch.number} (questions {batch.members[0]}-{batch.members[-1]}) was not "
        f"played after {failure.attempts} attempt(s): {failure.reason}; rerun the same command to play it"
    )
