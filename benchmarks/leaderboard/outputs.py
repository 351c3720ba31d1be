"""From a finished run to its files: the report, ``leaderboard.md``, ``leaderboard.html``, ``plots/*.png``, ``summary.json``.

Every file is replaced atomically, so a run killed while writing them (or stopped by a full disk) leaves the
previous version (or none), and the rerun writes them again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .config import BASE_METHODS
from .folder import disk_error, write_atomic
from .html import to_html
from .plots import PLOTTED, score_plot
from .report import LeaderboardReport, to_markdown
from .runner import Cell, LeaderboardRun, method_label
from .stats import PairedDifference, episode_measures, paired_difference, summarize_cell

__all__ = ["LeaderboardOutputs", "build_report", "write_outputs"]


class LeaderboardOutputs(BaseModel):
    """Where a run's outputs are."""

    model_config = ConfigDict(frozen=True)

    folder: Path
    markdown: Path
    html: Path
    plots: tuple[Path, ...]
    summary: Path
    episodes: Path


def build_report(run: LeaderboardRun, cells: Sequence[Cell]) -> LeaderboardReport:
    """Summarise every planned cell from the run's stored episodes (and only the planned ones)."""
    cfg = run.config
    summaries = []
    for cell in cells:
        found = [run.store.records.get((cell.method, cell.dataset, i)) for i in cell.indices]
        episodes = [(r.index, r.batch, r.elapsed_s, r.played) for r in found if r is not None]
        summaries.append(summarize_cell(cell.method, cell.dataset, episodes, seed=cfg.seed, resamples=cfg.bootstrap_resamples))
    planned = {(cell.method, cell.dataset, i) for cell in cells for i in cell.indices}
    stray = sorted(key for key in run.store.records if key not in planned)
    notes = [str(problem) for problem in run.store.problems] + run.failures
    if stray:  # e.g. a line whose method name was damaged but still parses
        notes.append(
            f"{len(stray)} stored episode(s) match no cell of this run (first: {'/'.join(map(str, stray[0]))}); not counted"
        )
    replaced = sorted(
        (key, r.replaced_surrogates) for key, r in run.store.records.items() if key in planned and r.replaced_surrogates
    )
    if replaced:  # a policy wrote text that is not valid Unicode; stored with U+FFFD in its place
        named = ", ".join(f"{'/'.join(map(str, key))} ({n})" for key, n in replaced[:3]) + (", ..." if len(replaced) > 3 else "")
        notes.append(
            f"{sum(n for _, n in replaced)} lone surrogate(s) in the text of {len(replaced)} episode(s) were replaced "
            f"with U+FFFD when stored: {named}"
        )
    return LeaderboardReport(
        paired=_paired(run, cells),
        fingerprint=run.fingerprint,
        config=cfg.model_dump(mode="json"),
        versions=run.versions,
        methods=[(m, method_label(m)) for m in cfg.method_ids()],
        datasets=list(cfg.datasets),
        cells=summaries,
        notes=notes,
    )


def _paired(run: LeaderboardRun, cells: Sequence[Cell]) -> list[PairedDifference]:
    """Each policy row against Naive RAG, and each later policy row against the first (e.g. SFT+GRPO vs SFT)."""
    cfg = run.config
    policies = [m for m in cfg.method_ids() if m not in BASE_METHODS]  # the trained agents and added policies
    comparisons = [(m, "naive-rag") for m in policies if "naive-rag" in cfg.methods]
    comparisons += [(m, policies[0]) for m in policies[1:]]
    out = []
    for method, versus in comparisons:
        pairs: dict[str, tuple[list[float], list[float]]] = {}
        for dataset in cfg.datasets:
            indices = next((c.indices for c in cells if c.method == method and c.dataset == dataset), ())
            a, b = [], []
            for i in indices:
                mine, theirs = run.store.records.get((method, dataset, i)), run.store.records.get((versus, dataset, i))
                if mine is not None and theirs is not None:
                    a.append(episode_measures(mine.played)["em"] or 0.0)
                    b.append(episode_measures(theirs.played)["em"] or 0.0)
            pairs[dataset] = (a, b)
        seed = int.from_bytes(hashlib.sha256(f"{cfg.seed}/paired/{method}/{versus}".encode()).digest()[:4], "big")
        estimate = paired_difference(pairs, resamples=cfg.bootstrap_resamples, seed=seed)
        out.append(PairedDifference(method=method, versus=versus, estimate=estimate))
    return out


def write_outputs(folder: Path, report: LeaderboardReport) -> LeaderboardOutputs:
    """Write every output file of ``report`` into ``folder``.

    Raises:
        ResultsError: a file could not be written (its previous version is kept).
    """
    plots_dir = folder / "plots"
    try:
        plots_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise disk_error(exc, plots_dir) from None
    pngs = {measure: score_plot(report, measure) for measure in PLOTTED}
    plot_paths = []
    for measure, png in pngs.items():
        path = plots_dir / f"{measure}.png"
        write_atomic(path, png)
        plot_paths.append(path)
    outputs = LeaderboardOutputs(
        folder=folder,
        markdown=folder / "leaderboard.md",
        html=folder / "leaderboard.html",
        plots=tuple(plot_paths),
        summary=folder / "summary.json",
        episodes=folder / "episodes.jsonl",
    )
    write_atomic(outputs.markdown, to_markdown(report))
    write_atomic(outputs.html, to_html(report, pngs))
    write_atomic(outputs.summary, json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    return outputs
