"""A leaderboard killed with SIGKILL at several points, then rerun, ends with the uninterrupted run's table."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_gym.benchmarks.leaderboard.report import TIMING_HEADING

pytestmark = pytest.mark.slow

ARGS = [
    "--methods", "base-tool-call",
    "--policy", "kvpolicy:SlowKV",
    "--base-policy", "kvpolicy:SlowKV",
    "--datasets", "KeyValueLookup-v0,KeyValueLookupNoisy-v0",
    "--limit", "6",
    "--batch-size", "4",
    "--bootstrap", "200",
    "--no-progress",
]  # fmt: skip
TOTAL = 2 * 2 * 6


def _command(out: Path) -> list[str]:
    return [sys.executable, "-m", "agent_gym.cli.main", "leaderboard", *ARGS, "--out", str(out)]


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_after(out: Path, episodes: int) -> int:
    """Start a run, SIGKILL it once ``episodes`` lines are stored; return the lines found after the kill."""
    process = subprocess.Popen(_command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = out / "episodes.jsonl"
    deadline = time.monotonic() + 60
    while _lines(path) < episodes and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return _lines(path)


def _scores(out: Path) -> str:
    """Everything of the Markdown report that must not depend on interruptions (all but the timing section)."""
    return (out / "leaderboard.md").read_text().split(TIMING_HEADING)[0]


def _episodes(out: Path) -> dict[tuple, dict]:
    records = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    keyed = {(r["method"], r["dataset"], r["index"]): r["played"] for r in records}
    assert len(keyed) == len(records), "an episode was stored twice"
    return keyed


def test_sigkill_at_several_points_then_rerun_gives_the_uninterrupted_table(tmp_path, kv_policy):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    subprocess.run(_command(clean), check=True, capture_output=True)

    stored = [_kill_after(killed, target) for target in (0, 1, 5, 11, 17)]
    assert stored == sorted(stored) and stored[-1] < TOTAL, f"the kills should land mid-run, got {stored}"
    # A kill in the middle of a write leaves a torn last line: simulate one byte-exactly.
    path = killed / "episodes.jsonl"
    half = path.read_bytes().splitlines(keepends=True)[0]
    with open(path, "ab") as handle:
        handle.write(half[: len(half) // 2])
    done = subprocess.run(_command(killed), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "incomplete last line" in done.stderr

    assert _scores(killed) == _scores(clean)
    assert _episodes(killed) == _episodes(clean)
    assert len(_episodes(killed)) == TOTAL
    # A finished run resumed again plays nothing and writes the same table.
    again = subprocess.run(_command(killed), capture_output=True, text=True)
    assert again.returncode == 0 and _lines(path) == TOTAL
    assert _scores(killed) == _scores(clean)
