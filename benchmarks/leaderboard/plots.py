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
    fig, ax = plt.subplots(figsize=(5.4, 3.9), dpi=110)
    x = np.arange(len(datasets))
    for k, (method, name) in enumerate(report.methods):
        offset = (k - (len(report.methods) - 1) / 2) * width
        color = _COLORS[k % len(_COLORS)]
        for j, dataset in enumerate(datasets):
            cell = report.cell(method, dataset)
            est = cell.estimates.get(measure) if cell else None
            if est is None or est.n == 0:  # the env does not compute this measure: say so, draw nothing
                ax.text(x[j] + offset, 0.02, "n/a", ha="center", fontsize=7, color="#777")
                continue
            err = [[est.mean - est.low], [est.high - est.mean]]
            ax.bar(x[j] + offset, est.mean, width, yerr=err, capsize=3, color=color)
            ax.text(x[j] + offset, est.high + 0.02, f"{est.mean:.2f}", ha="center", fontsize=7)
        ax.bar(0, 0, 0, color=color, label=name)  # the legend entry (also when every cell is n/a)
    ax.set_xticks(x, [resolve_dataset(d)[1] for d in datasets])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel(MEASURES[measure])
    ax.set_title(f"{MEASURES[measure]} (mean, 95% bootstrap CI)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    columns = 1 if max(len(name) for _, name in report.methods) > 24 else 2
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=columns, frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
