"""The leaderboard on a 2-node Ray cluster on this machine: the same table as a local run, the same append-only
results file, resumable across local and Ray runs, and a batch whose worker always dies is a note, not a crash."""

from __future__ import annotations

import json
import os
import sys

import pytest

from agent_gym.baselines.policies import OraclePolicy
from agent_gym.benchmarks.leaderboard import LeaderboardConfig, run_leaderboard
from agent_gym.benchmarks.leaderboard.report import TIMING_HEADING
from agent_gym.cli.main import main
from agent_gym.rollout import turn_seed
from agent_gym.rollout.ray_pool import RayOptions
from agent_gym.testing.ray_cluster import local_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

ARGS = ["--methods", "naive-rag,base-tool-call", "--base-policy", "oracle", "--datasets", "hotpotqa,musique"]
ARGS += ["--limit", "6", "--batch-size", "2", "--bootstrap", "100", "--no-progress"]


@pytest.fixture(scope="module")
def cluster():
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the crashing loader below
    with local_cluster(2) as address:
        yield address


def _scores(out) -> str:
    return (out / "leaderboard.md").read_text().split(TIMING_HEADING)[0]


def _episodes(out) -> dict:
    """Stored episodes by key, without the measured seconds (which differ between runs)."""
    records = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    return {(r["method"], r["dataset"], r["index"]): {k: v for k, v in r.items() if k != "elapsed_s"} for r in records}


def test_the_command_with_ray_gives_the_same_episodes_and_table_as_without(cluster, tmp_path, capsys):
    assert main(["leaderboard", *ARGS, "--out", str(tmp_path / "local")]) == 0
    local_table = capsys.readouterr().out.split("\nwrote ")[0]
    assert main(["leaderboard", *ARGS, "--out", str(tmp_path / "ray"), "--ray", cluster, "--workers", "2"]) == 0
    assert capsys.readouterr().out.split("\nwrote ")[0] == local_table
    assert _scores(tmp_path / "ray") == _scores(tmp_path / "local")
    assert _episodes(tmp_path / "ray") == _episodes(tmp_path / "local") and len(_episodes(tmp_path / "local")) == 24


class CrashingOracle(OraclePolicy):
    """The oracle, except that it kills its worker process on the first turn of one episode's seed."""

    def __init__(self, seed: int):
        super().__init__()
        self.first_turn = turn_seed(seed, 1)

    def act(self, histories, *, tools=None, seeds=None, episodes=None):
        if self.first_turn in (seeds or ()):
            os._exit(1)
        return super().act(histories, tools=tools, seeds=seeds, episodes=episodes)


def test_a_batch_that_always_kills_its_worker_is_a_note_and_a_local_rerun_completes_the_run(cluster, tmp_path, capsys):
    config = LeaderboardConfig(
        methods=("base-tool-call",), datasets=("hotpotqa",), base_policy="oracle", limit=6, batch_size=2, bootstrap_resamples=100
    )
    doomed = config.episode_seed("base-tool-call", "hotpotqa", 3)  # question 3: the second batch (questions 2-3)
    options = RayOptions(address=cluster, workers=2, max_attempts=2)
    report, _ = run_leaderboard(
        config, tmp_path / "run", policy_loader=lambda spec, opts: CrashingOracle(doomed), progress=False, ray=options
    )
    assert sorted(_episodes(tmp_path / "run")) == [("base-tool-call", "hotpotqa", i) for i in (0, 1, 4, 5)]
    assert [note for note in report.notes if "batch 1" in note] == [
        "base-tool-call/hotpotqa batch 1 (questions 2-3) was not played after 2 attempt(s): "
        "the worker died (ActorDiedError); rerun the same command to play it"
    ]
    stored = (tmp_path / "run" / "episodes.jsonl").read_bytes()
    rerun, _ = run_leaderboard(config, tmp_path / "run", progress=False)  # locally, with the real oracle
    assert (tmp_path / "run" / "episodes.jsonl").read_bytes().startswith(stored)  # appended to, never rewritten
    assert len(_episodes(tmp_path / "run")) == 6 and rerun.notes == []
    whole, _ = run_leaderboard(config, tmp_path / "whole", progress=False)
    assert _scores(tmp_path / "run") == _scores(tmp_path / "whole").replace(whole.fingerprint, rerun.fingerprint)
