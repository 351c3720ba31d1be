"""How many CPU cores are idle now: the default torch thread count of the leaderboard.

Measured on this project's 2-core machine (docs/results.md, issue 12): with nothing else running, 2 torch threads
played the leaderboard's Base Tool Call workload 1.5-1.8x faster than 1; with other jobs on the cores, 2 threads were
8x slower than 1 (OpenMP threads spin-waiting for a core another process holds). So the default is the number of
cores nobody else is using, measured when the run starts, and at least 1.
"""

from __future__ import annotations

import os
import time

__all__ = ["idle_cores"]

_SAMPLE_S = 0.5


def idle_cores(sample_s: float = _SAMPLE_S) -> int:
    """The cores this process may use that other processes left idle over the last ``sample_s`` seconds (>= 1).

    Reads ``/proc/stat`` twice (an instant sample: the load average would still count a build that just
    finished); where there is no ``/proc/stat``, the one-minute load average stands in.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        first = _busy_and_total()
        time.sleep(sample_s)
        second = _busy_and_total()
        busy_share = (second[0] - first[0]) / max(1, second[1] - first[1])
        busy = busy_share * (os.cpu_count() or cores)
    except (OSError, ValueError, IndexError):
        busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, round(cores - busy)))


def _busy_and_total() -> tuple[int, int]:
    """Jiffies spent busy and in total, over all CPUs (the first line of ``/proc/stat``)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:9]]  # user .. steal (guest time is counted in user)
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)
