"""Per-episode measures and their per-cell means with seeded 95% bootstrap confidence intervals.

A cell is one method on one dataset. Episodes enter a cell sorted by question index, and each cell's bootstrap
generator is seeded from the run seed and the cell's names, so the intervals depend on which episodes were
played, never on the order they finished in or on how many times the run was interrupted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from agent_gym.baselines.method import PlayedEpisode
from agent_gym.failures import blame_of

__all__ = [
    "CellSummary",
    "Estimate",
    "MEASURES",
    "PairedDifference",
    "bootstrap_ci",
    "episode_measures",
    "paired_difference",
    "summarize_cell",
]

MEASURES: dict[str, str] = {
    "em": "EM",
    "f1": "F1",
    "cover_em": "cover-EM",
    "turns": "turns",
    "tool_calls": "tool calls",
    "invalid_calls": "invalid calls",
    "tokens": "tokens",
}
"""Measure key -> column label, in table order."""


class Estimate(BaseModel):
    """A mean over episodes with its 95% bootstrap interval."""

    model_config = ConfigDict(frozen=True)

    mean: float
    low: float
    high: float
    n: int
    """Episodes the mean is over."""


def bootstrap_ci(values: Sequence[float], *, resamples: int = 1000, seed: int = 0, level: float = 0.95) -> Estimate:
    """Mean and percentile bootstrap interval of ``values``.

    Example:
        >>> est = bootstrap_ci([0.0, 1.0, 1.0, 0.0], seed=1)
        >>> est.mean, est.low <= est.mean <= est.high, est.n
        (0.5, True, 4)
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Estimate(mean=float("nan"), low=float("nan"), high=float("nan"), n=0)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Estimate(mean=float(data.mean()), low=float(low), high=float(high), n=int(data.size))


def episode_measures(played: PlayedEpisode) -> dict[str, float | None]:
    """The measures of one episode; None where the policy (``tokens``) or the env (``f1``...) does not report it.

    ``invalid_calls`` counts the failures that are the policy's fault (:data:`agent_gym.failures.BLAME`: unparseable,
    unknown tool, bad arguments, too many calls), not failures of the tools themselves.
    """
    episode = played.episode
    infos = [step.info for step in episode.steps]
    errors = [error for info in infos for error in info.get("errors", ())]
    return {
        **{key: _outcome(episode.metrics, key) for key in ("em", "f1", "cover_em")},
        "turns": float(len(episode.steps)),
        "tool_calls": float(sum(len(info.get("tool_calls", ())) for info in infos)),
        "invalid_calls": float(sum(1 for error in errors if blame_of(str(error.get("kind"))) == "policy")),
        "tokens": None if played.generated_tokens is None else float(played.generated_tokens),
    }


def _outcome(metrics: dict[str, float], key: str) -> float | None:
    """An outcome metric: 0 when the episode gave no answer, None when the env does not compute it."""
    if not metrics:
        return 0.0
    return float(metrics[key]) if key in metrics else None


class CellSummary(BaseModel):
    """Every measure of one method on one dataset."""

    model_config = ConfigDict(frozen=True)

    method: str
    dataset: str
    n: int
    """Episodes in the cell."""
    estimates: dict[str, Estimate | None]
    """Measure key -> estimate; None when some episode lacks the measure (no token ids, an env without F1)."""
    wall_s: float
    """Measured wall time of the cell (sum over its batches of the batch's duration)."""


def _cell_seed(seed: int, method: str, dataset: str, measure: str) -> int:
    digest = hashlib.sha256(f"{seed}/{method}/{dataset}/{measure}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def summarize_cell(
    method: str,
    dataset: str,
    episodes: Sequence[tuple[int, int, float, PlayedEpisode]],
    *,
    seed: int = 0,
    resamples: int = 1000,
) -> CellSummary:
    """Summarise a cell from ``(index, batch, elapsed_s, played)`` tuples (any order)."""
    ordered = sorted(episodes, key=lambda item: item[0])
    rows = [episode_measures(played) for _, _, _, played in ordered]
    estimates: dict[str, Estimate | None] = {}
    for key in MEASURES:
        values = [row[key] for row in rows]
        if any(value is None for value in values):
            estimates[key] = None
            continue
        estimates[key] = bootstrap_ci(values, resamples=resamples, seed=_cell_seed(seed, method, dataset, key))
    batch_time: dict[int, float] = {}
    for _, batch, elapsed, _ in ordered:
        batch_time[batch] = max(batch_time.get(batch, 0.0), elapsed)
    return CellSummary(method=method, dataset=dataset, n=len(rows), estimates=estimates, wall_s=sum(batch_time.values()))


class PairedDifference(BaseModel):
    """One method's mean-over-datasets EM minus another's, on the same questions, with a paired bootstrap CI."""

    model_config = ConfigDict(frozen=True)

    method: str
    versus: str
    estimate: Estimate
    """The difference (``n`` counts question pairs over all datasets)."""


def paired_difference(
    pairs: dict[str, tuple[Sequence[float], Sequence[float]]], *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> Estimate:
    """Mean over datasets of ``mean(a) - mean(b)``, with a percentile CI from resampling questions within each dataset.

    Both methods answered the same questions, so each resample keeps a question's two outcomes together: the
    interval reflects the difference between the methods, not each method's own spread.

    Args:
        pairs: Dataset -> (method A's values, method B's values), aligned by question.

    Example:
        >>> est = paired_difference({"d": ([1, 1, 0, 1], [0, 1, 0, 0])}, seed=0)
        >>> est.mean, est.low >= 0.0, est.n
        (0.5, True, 4)
    """
    rng = np.random.default_rng(seed)
    diffs = [np.asarray(a, dtype=float) - np.asarray(b, dtype=float) for a, b in pairs.values() if len(a)]
    if not diffs:
        return Estimate(mean=float("nan"), low=float("nan"), high=float("nan"), n=0)
    means = np.zeros(resamples)
    for diff in diffs:
        means += diff[rng.integers(0, diff.size, size=(resamples, diff.size))].mean(axis=1)
    means /= len(diffs)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    mean = float(np.mean([d.mean() for d in diffs]))
    return Estimate(mean=mean, low=float(low), high=float(high), n=int(sum(d.size for d in diffs)))
