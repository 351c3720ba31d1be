"""Paired differences: the bootstrap keeps each question's two outcomes together, and the report shows them."""

import pytest

from agent_gym.benchmarks.leaderboard.report import LeaderboardReport, to_markdown
from agent_gym.benchmarks.leaderboard.stats import PairedDifference, bootstrap_ci, paired_difference


def test_pairing_narrows_the_interval_of_a_consistent_difference():
    a = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0] * 4
    b = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0] * 4  # A is right wherever B is, and on a quarter more
    paired = paired_difference({"d": (a, b)}, seed=3)
    unpaired_width = (bootstrap_ci(a, seed=3).high - bootstrap_ci(a, seed=3).low) * 2**0.5
    assert paired.mean == pytest.approx(0.25) and paired.low > 0
    assert paired.high - paired.low < unpaired_width


def test_the_average_is_over_datasets_and_the_seed_fixes_it():
    pairs = {"x": ([1.0, 1.0], [0.0, 0.0]), "y": ([0.0] * 6, [0.0] * 6)}
    first = paired_difference(pairs, seed=1)
    assert first.mean == pytest.approx(0.5) and first.n == 8
    assert paired_difference(pairs, seed=1) == first


def test_the_report_has_a_paired_section_only_when_there_are_pairs():
    base = {"fingerprint": "f", "config": {"limit": 2}, "versions": {}, "datasets": ["musique"], "cells": []}
    methods = [("naive-rag", "Naive RAG"), ("policy:sft", "SFT")]
    assert "## Paired differences" not in to_markdown(LeaderboardReport(methods=methods, **base))
    estimate = paired_difference({"musique": ([1.0, 0.0], [0.0, 0.0])}, seed=0)
    report = LeaderboardReport(
        methods=methods, paired=[PairedDifference(method="policy:sft", versus="naive-rag", estimate=estimate)], **base
    )
    low, high = f"{estimate.low:+.3f}", f"{estimate.high:+.3f}"
    assert f"| SFT | Naive RAG | +0.500 | [{low}, {high}] | 2 |" in to_markdown(report)
