"""The serving bench's load test: 64 concurrent sessions x 50 steps of MultiHopQA-v0 through serve-env, 0 errors."""

import math

import pytest

from agent_gym.benchmarks.serving import measure

pytest.importorskip("websockets")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_64_sessions_of_50_steps_through_the_server_without_an_error():
    figures = measure(sessions=64, steps=50, reference_sessions=2)
    assert figures["errors"] == 0, figures["first_errors"]
    assert figures["steps_done"] == 64 * 50
    ratios = [v for k, v in figures.items() if k.startswith("ratio_")]
    assert len(ratios) == 5 and all(math.isfinite(v) and v > 0 for v in ratios)
    assert figures["ratio_p50_server_over_in_process"] == pytest.approx(figures["server_p50_ms"] / figures["in_process_p50_ms"])
