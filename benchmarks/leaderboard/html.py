"""The leaderboard as one self-contained HTML page: inline CSS, plots embedded as base64 PNG, no external URL."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

from .reference import REFERENCE_CAPTION
from .report import TIMING_HEADING, LeaderboardReport, Table, metrics_table, reference_table, score_table, timing_table
from .stats import MEASURES

__all__ = ["to_html"]

_CI = re.compile(r"^(\S+) \[(\S+), (\S+)\]$")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:76rem;color:#222;
padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:right;white-space:nowrap;vertical-align:top}
th{background:#f3f5f7}.text{text-align:left}.ci{display:block;color:#777;font-size:.75rem}
tr:nth-child(even) td{background:#fafbfc}
.reference{border-left:4px solid #e0a526;background:#fff8e6;padding:.4rem 1rem;margin-top:2rem}
.reference table th{background:#fcefc9}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:.8rem;margin-top:1rem}
.plots img{width:100%;border:1px solid #eee}
.muted{color:#666;font-size:.85rem}code{background:#f3f5f7;padding:0 .2rem;border-radius:3px}
"""


def _cell(text: str) -> str:
    """A table cell's HTML: a "mean [low, high]" value shows its interval small, under the mean."""
    found = _CI.match(text)
    if found is None:
        return html.escape(text)
    return f"{found.group(1)}<span class=ci>[{found.group(2)}, {found.group(3)}]</span>"


def _html_table(table: Table, text_columns: int = 2) -> str:
    """An HTML table; the first ``text_columns`` columns are left-aligned text, the rest numbers."""
    header, rows = table

    def cls(j: int) -> str:
        return " class=text" if j < text_columns else ""

    head = "".join(f"<th{cls(j)}>{html.escape(c)}</th>" for j, c in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(j)}>{_cell(c)}</td>" for j, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def to_html(report: LeaderboardReport, plots: Mapping[str, bytes]) -> str:
    """The report and its plots (``{measure: png bytes}``) as one HTML document."""
    cfg = report.config
    size = "all" if cfg.get("limit") is None else f"the first {cfg['limit']}"
    images = "".join(
        f'<img alt="{html.escape(MEASURES[m])} per method and dataset" src="data:image/png;base64,{_b64(png)}">'
        for m, png in plots.items()
    )
    settings: Table = (["setting", "value"], [[k, str(v)] for k, v in sorted(cfg.items())])
    versions: Table = (["package", "version"], [[k, v] for k, v in report.versions.items()])
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>agent-gym leaderboard {report.fingerprint}</title><style>{_CSS}</style></head><body>",
        "<h1>agent-gym leaderboard</h1>",
        f"<p class=muted>Run <code>{report.fingerprint}</code>: {size} questions of each dataset's bundled dev records; "
        f"Naive RAG and Base Tool Call use the policy <code>{html.escape(str(cfg.get('base_policy')))}</code>. "
        "Cells: mean [95% bootstrap CI]; avg is the mean over datasets.</p>",
        "<h2>Exact match</h2>",
        _html_table(score_table(report, "em"), 1),
        f"<div class=plots>{images}</div>",
        "<h2>All metrics</h2>",
        _html_table(metrics_table(report)),
        "<div class=reference><h2>Reference: Agent-R1 paper (not from this run)</h2>",
        f"<p>{html.escape(REFERENCE_CAPTION)}</p>",
        _html_table(reference_table(), 1),
        "</div>",
        "<h2>Run</h2>",
        _html_table(settings),
        _html_table(versions),
        f"<h2>{html.escape(TIMING_HEADING.removeprefix('## '))}</h2>",
        "<p class=muted>Measured, so they differ from run to run.</p>",
        _html_table(timing_table(report)),
        f"<ul>{notes}</ul>" if notes else "",
        "</body></html>",
    ]
    return "\n".join(parts)


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")
