"""The bench's ``distributed`` section: local engine vs Ray with 2 workers, as ratios measured in one run."""

import math

import pytest

from agent_gym.benchmarks.perf import QUICK, SECTIONS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_distributed_section_reports_ratios_and_the_overhead_per_episode():
    figures = SECTIONS["distributed"](**QUICK["distributed"])
    for workload in ("cpu", "latency"):
        ratio = figures[f"ratio_{workload}_ray_over_local"]
        assert math.isfinite(ratio) and ratio > 0
        assert ratio == pytest.approx(figures[f"{workload}_ray_episodes_per_s"] / figures[f"{workload}_local_episodes_per_s"])
    overhead = 1000 / figures["overhead_ray_episodes_per_s"] - 1000 / figures["overhead_local_episodes_per_s"]
    assert figures["ray_overhead_ms_per_episode"] == pytest.approx(overhead)
    assert figures["workers"] == 2 and figures["ray_cold_start_s"] > 0 and math.isfinite(figures["ray_overhead_ms_per_call"])
