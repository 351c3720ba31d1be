"""The leaderboard: methods × QA datasets, with bootstrap CIs, resumable after any crash.

``run_leaderboard(config, out_dir)`` checks the whole run, locks its folder (:mod:`.folder`), plays every
missing episode (see :mod:`.runner`), appending each to the run's ``episodes.jsonl`` as it finishes
(:mod:`.store`), then writes the Markdown, HTML, plots and JSON (:mod:`.outputs`). ``agent-gym leaderboard`` is
its command line.
"""

from __future__ import annotations

from pathlib import Path

from agent_gym.rollout.ray_pool import RayOptions

from .config import (
    BASE_METHODS,
    DATASETS,
    DEFAULT_ENV_KWARGS,
    DEFAULT_LIMIT,
    DEFAULT_POLICY_OPTIONS,
    METHODS,
    QA_ENV_KWARGS,
    LeaderboardConfig,
    package_versions,
)
from .outputs import LeaderboardOutputs, build_report, write_outputs
from .policies import load_policy
from .report import LeaderboardReport, to_markdown
from .runner import LeaderboardRun, PolicyLoader
from .stats import CellSummary, Estimate, bootstrap_ci
from .store import EpisodeRecord, EpisodeStore, StoreProblem

__all__ = [
    "BASE_METHODS",
    "METHODS",
    "DATASETS",
    "DEFAULT_ENV_KWARGS",
    "DEFAULT_LIMIT",
    "DEFAULT_POLICY_OPTIONS",
    "CellSummary",
    "EpisodeRecord",
    "EpisodeStore",
    "Estimate",
    "LeaderboardConfig",
    "QA_ENV_KWARGS",
    "LeaderboardOutputs",
    "LeaderboardReport",
    "LeaderboardRun",
    "StoreProblem",
    "bootstrap_ci",
    "build_report",
    "default_out_dir",
    "load_policy",
    "package_versions",
    "run_leaderboard",
    "to_markdown",
    "write_outputs",
]


def default_out_dir(config: LeaderboardConfig, root: str | Path = "results/leaderboard") -> Path:
    """``results/leaderboard/<fingerprint>``: the same config always resumes the same folder."""
    return Path(root) / config.fingerprint()


def run_leaderboard(
    config: LeaderboardConfig,
    out_dir: str | Path | None = None,
    *,
    policy_loader: PolicyLoader = load_policy,
    progress: bool = True,
    ray: RayOptions | None = None,
) -> tuple[LeaderboardReport, LeaderboardOutputs]:
    """Run (or resume) a leaderboard and write its outputs.

    Args:
        config: What to run.
        out_dir: The run's folder; by default :func:`default_out_dir`.
        policy_loader: Spec -> Policy.
        progress: Show the progress bar.
        ray: Play on a Ray cluster (see :mod:`.ray_play`); None: in this process.

    Returns:
        The report and where its files are.

    Raises:
        ConfigError: a bad name, env, method/env pair or option (before anything is written or loaded).
        ResultsError: another run holds the folder, or a file in it cannot be read or written.
    """
    folder = out_dir or default_out_dir(config)
    with LeaderboardRun(config, folder, policy_loader=policy_loader, progress=progress, ray=ray) as run:
        cells = run.run()
        report = build_report(run, cells)
        return report, write_outputs(run.out_dir, report)
