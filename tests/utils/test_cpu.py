"""The leaderboard's default thread count: the cores other processes leave idle, never fewer than one."""

import os

import pytest

from agent_gym.utils import cpu


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(cpu.time, "sleep", lambda _s: None)


@pytest.mark.parametrize(("busy_jiffies", "expected"), [(0, 2), (30, 2), (100, 1), (160, 1), (200, 1)])
def test_idle_cores_counts_what_the_other_processes_leave(two_cores, monkeypatch, busy_jiffies, expected):
    samples = iter([(1_000, 10_000), (1_000 + busy_jiffies, 10_200)])  # 200 jiffies pass: 100 per core
    monkeypatch.setattr(cpu, "_busy_and_total", lambda: next(samples))
    assert cpu.idle_cores() == expected


def test_without_proc_stat_the_load_average_stands_in(two_cores, monkeypatch):
    def missing():
        raise FileNotFoundError("/proc/stat")

    monkeypatch.setattr(cpu, "_busy_and_total", missing)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.0, 0.0))
    assert cpu.idle_cores() == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert cpu.idle_cores() == 2


def test_the_real_sample_is_within_the_cores_this_process_may_use():
    assert 1 <= cpu.idle_cores(sample_s=0.05) <= len(os.sched_getaffinity(0))
