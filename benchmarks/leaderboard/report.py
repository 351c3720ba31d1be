"""The leaderboard's results as data (:class:`LeaderboardReport`) and as Markdown.

The report is a pure function of the stored episodes and the config: the score tables come out byte-identical
whether the run went through in one go or was killed and resumed. Measured wall times, which cannot be
identical, and notes about the results file sit in the last section, after everything reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from .config import DATASETS, resolve_dataset
from .reference import REFERENCE_CAPTION, REFERENCE_EM
from .stats import MEASURES, CellSummary, Estimate, PairedDifference

__all__ = [
    "LeaderboardReport",
    "TIMING_HEADING",
    "Table",
    "markdown_table",
    "metrics_table",
    "paired_table",
    "reference_table",
    "score_table",
    "timing_table",
    "to_markdown",
]

TIMING_HEADING = "## Wall time and results-file notes"
"""Heading of the section that differs between runs of the same config (everything above it does not)."""


class LeaderboardReport(BaseModel):
    """Every number of one leaderboard run."""

    model_config = ConfigDict(frozen=True)

    fingerprint: str
    """The run's config fingerprint."""
    config: dict
    """The run's config (``LeaderboardConfig`` as JSON)."""
    versions: dict[str, str]
    """Python, platform and package versions of the run."""
    methods: list[tuple[str, str]]
    """(method id, display name) in table order."""
    datasets: list[str]
    """Dataset names in column order."""
    cells: list[CellSummary]
    """One summary per method × dataset."""
    paired: list[PairedDifference] = []
    """EM differences between methods on the same questions (trained rows against Naive RAG and the first one)."""
    notes: list[str] = []
    """Problems found in the results file (line numbers and what was done)."""

    def cell(self, method: str, dataset: str) -> CellSummary | None:
        return next((c for c in self.cells if c.method == method and c.dataset == dataset), None)

    def average(self, method: str, measure: str = "em") -> float:
        """Mean over datasets of the method's per-dataset means (how Agent-R1 averages)."""
        means = [c.estimates[measure].mean for c in self.cells if c.method == method and c.estimates.get(measure)]
        return sum(means) / len(means) if means else math.nan


def _num(value: float, digits: int = 3) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _ci(estimate: Estimate | None, digits: int = 3) -> str:
    if estimate is None or estimate.n == 0:
        return "n/a"
    return f"{_num(estimate.mean, digits)} [{_num(estimate.low, digits)}, {_num(estimate.high, digits)}]"


Table = tuple[list[str], list[list[str]]]
"""(header, rows) of strings: what both the Markdown and the HTML renderers draw."""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    return list(header), [list(row) for row in rows]


def markdown_table(table: Table) -> list[str]:
    """The lines of a Markdown table."""
    header, rows = table
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _label(dataset: str) -> str:
    return resolve_dataset(dataset)[1]


def score_table(report: LeaderboardReport, measure: str = "em") -> Table:
    """Method × dataset table of one measure with CIs, plus the average over datasets."""
    rows = []
    for method, name in report.methods:
        cells = [report.cell(method, d) for d in report.datasets]
        rows.append([name, *(_ci(c.estimates[measure]) if c else "n/a" for c in cells), _num(report.average(method, measure))])
    return _table(["method", *map(_label, report.datasets), "avg"], rows)


def metrics_table(report: LeaderboardReport) -> Table:
    """Every measure of every cell (scores with CIs; means for the cost measures)."""
    rows = []
    for method, name in report.methods:
        for dataset in report.datasets:
            cell = report.cell(method, dataset)
            if cell is None:
                continue
            values = [_ci(cell.estimates[k]) if k in ("em", "f1", "cover_em") else _mean(cell.estimates[k]) for k in MEASURES]
            rows.append([name, _label(dataset), str(cell.n), *values])
    return _table(["method", "dataset", "n", *MEASURES.values()], rows)


def _mean(estimate: Estimate | None) -> str:
    return "n/a" if estimate is None or estimate.n == 0 else _num(estimate.mean, 2)


def reference_table() -> Table:
    """Agent-R1's published exact-match table."""
    rows = [
        [method, *(f"{scores[k]:.4f}" for k in ("hotpotqa", "2wiki", "musique", "avg"))]
        for method, scores in REFERENCE_EM.items()
    ]
    return _table(["method", "HotpotQA", "2Wiki", "MuSiQue", "avg"], rows)


def timing_table(report: LeaderboardReport) -> Table:
    rows = []
    for method, name in report.methods:
        for dataset in report.datasets:
            cell = report.cell(method, dataset)
            if cell is not None and cell.n:
                rows.append([name, _label(dataset), str(cell.n), _num(cell.wall_s, 1), _num(cell.wall_s / cell.n, 2)])
    return _table(["method", "dataset", "n", "wall s", "s / episode"], rows)


def paired_table(report: LeaderboardReport) -> Table:
    names = dict(report.methods)
    rows = [
        [
            names.get(p.method, p.method),
            names.get(p.versus, p.versus),
            _signed(p.estimate.mean),
            f"[{_signed(p.estimate.low)}, {_signed(p.estimate.high)}]",
            str(p.estimate.n),
        ]
        for p in report.paired
    ]
    return _table(["method", "versus", "Δ EM (avg)", "95% paired CI", "question pairs"], rows)


def _signed(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.3f}"


def _questions_source(cfg: dict) -> str:
    """Where the run's questions came from, as the report's first line says it.

    Example:
        >>> _questions_source({"datasets": ["hotpotqa"], "env_kwargs": {"max_turns": 5}})
        "each dataset's bundled dev records"
        >>> _questions_source({"datasets": ["hotpotqa"], "env_kwargs": {"data": "mine.jsonl"}})
        'the records of `mine.jsonl` (data=)'
    """
    env_kwargs = cfg.get("env_kwargs") or {}
    if env_kwargs.get("data") is not None:
        return f"the records of `{env_kwargs['data']}` (data=)"
    if all(name in DATASETS for name in cfg.get("datasets", ())):
        return f"each dataset's bundled {env_kwargs.get('split', 'dev')} records"
    return "each dataset's records"


def to_markdown(report: LeaderboardReport) -> str:
    """The whole report as Markdown (reproducible sections first, then the measured ones)."""
    cfg = report.config
    size = "all" if cfg.get("limit") is None else f"the first {cfg['limit']}"
    lines = [
        "# agent-gym leaderboard",
        "",
        f"Run `{report.fingerprint}`: {size} questions of {_questions_source(cfg)}; Naive RAG and Base Tool Call "
        f"use the policy `{cfg.get('base_policy')}`; seed {cfg.get('seed')}. Each cell is a mean over episodes with its "
        f"95% bootstrap confidence interval ({cfg.get('bootstrap_resamples')} seeded resamples); avg is the mean over datasets.",
        "",
        "## Exact match",
        "",
        *markdown_table(score_table(report, "em")),
        "",
        *(
            [
                "## Paired differences",
                "",
                "Exact match averaged over datasets, minus the other method's on the same questions; the interval resamples "
                "questions within each dataset, keeping each question's two outcomes together.",
                "",
                *markdown_table(paired_table(report)),
                "",
            ]
            if report.paired
            else []
        ),
        "## All metrics",
        "",
        "Turns, tool calls, invalid calls (the model's malformed or impossible calls) and generated tokens are means per "
        "episode; n/a where the policy reports no token ids.",
        "",
        *markdown_table(metrics_table(report)),
        "",
        "## Reference: Agent-R1 paper (not from this run)",
        "",
        REFERENCE_CAPTION,
        "",
        *markdown_table(reference_table()),
        "",
        "## Run",
        "",
        *markdown_table(_table(["setting", "value"], [[k, f"`{v}`"] for k, v in sorted(cfg.items())])),
        "",
        *markdown_table(_table(["package", "version"], [[k, f"`{v}`"] for k, v in report.versions.items()])),
        "",
        TIMING_HEADING,
        "",
        "Measured, so they differ from run to run; an episode resumed from an earlier, interrupted run keeps the time "
        "it took then.",
        "",
        *markdown_table(timing_table(report)),
        "",
    ]
    if report.notes:
        lines += ["Results-file notes:", "", *(f"- {note}" for note in report.notes), ""]
    return "\n".join(lines)
