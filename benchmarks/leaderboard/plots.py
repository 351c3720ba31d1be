"""PNG plots of the leaderboard: each score per method and dataset, with its 95% confidence interval."""

from __future__ import annotations

import io

from .config import resolve_dataset
from .report import LeaderboardReport
from .stats import MEASURES

__all__ = ["PLOTTED", "score_plot"]

PLOTTED = ("em", "f1", "cover_em")
"""The measures that get a plot."""

_COLORS = ("#3b6ea8", "#e07b39", "#4c9a5b", "#b5487a", "#7d6bb0", "#8c8c3a")


def score_plot(report: LeaderboardReport, measure: str = "em") -> bytes:
    """A grouped bar chart (datasets × methods) of ``measure`` with CI error bars, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    datasets = report.datasets
    width = 0.8 / max(1, len(report.methods))
    fig, ax = plt.subplots(figsize=(7.0, 3.6), dpi=110)
    x = np.arange(len(datasets))
    for k, (method, name) in enumerate(report.methods):
        means, low, high = [], [], []
        for dataset in datasets:
            cell = report.cell(method, dataset)
            est = cell.estimates.get(measure) if cell else None
            ok = est is not None and est.n > 0
            means.append(est.mean if ok else 0.0)
            low.append(est.mean - est.low if ok else 0.0)
            high.append(est.high - est.mean if ok else 0.0)
        offset = (k - (len(report.methods) - 1) / 2) * width
        bars = ax.bar(x + offset, means, width, yerr=[low, high], capsize=3, label=name, color=_COLORS[k % len(_COLORS)])
        ax.bar_label(bars, labels=[f"{m:.2f}" for m in means], padding=2, fontsize=7)
    ax.set_xticks(x, [resolve_dataset(d)[1] for d in datasets])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(MEASURES[measure])
    ax.set_title(f"{MEASURES[measure]} per method and dataset (95% bootstrap CI)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
