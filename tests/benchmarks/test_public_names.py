"""The leaderboard package's public surface is explicit and importable."""

import agent_gym.benchmarks.leaderboard as leaderboard


def test_public_names_are_pinned():
    assert sorted(leaderboard.__all__) == sorted(
        [
            "BASE_METHODS",
            "DATASETS",
            "DEFAULT_ENV_KWARGS",
            "DEFAULT_LIMIT",
            "DEFAULT_POLICY_OPTIONS",
            "CellSummary",
            "EpisodeRecord",
            "EpisodeStore",
            "Estimate",
            "LeaderboardConfig",
            "LeaderboardOutputs",
            "LeaderboardReport",
            "LeaderboardRun",
            "METHODS",
            "QA_ENV_KWARGS",
            "StoreProblem",
            "bootstrap_ci",
            "build_report",
            "default_out_dir",
            "load_policy",
            "package_versions",
            "run_leaderboard",
            "to_markdown",
            "write_outputs",
        ]
    )
    assert all(hasattr(leaderboard, name) for name in leaderboard.__all__)


def test_importing_the_leaderboard_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, agent_gym.benchmarks.leaderboard, agent_gym.cli.leaderboard; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
