"""``agent-gym leaderboard``: bad names get "did you mean", dead endpoints fail fast, a small run writes every output."""

import base64
import json
import re
import socket
import time

import pytest

from agent_gym.benchmarks.leaderboard import LeaderboardConfig, LeaderboardRun
from agent_gym.benchmarks.leaderboard.policies import load_policy, policy_label
from agent_gym.benchmarks.leaderboard.runner import method_label
from agent_gym.cli import leaderboard
from agent_gym.errors import ConfigError

KV = ["--datasets", "KeyValueLookup-v0", "--methods", "base-tool-call", "--limit", "3", "--no-progress"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--methods", "naive-rg"], "unknown method 'naive-rg'. Did you mean 'naive-rag'?"),
        (["--datasets", "hotpot"], "unknown dataset 'hotpot'. Did you mean 'hotpotqa'?"),
        (["--datasets", "2wikki"], "Did you mean '2wiki'?"),
        (
            ["--policy", "orcale", "--datasets", "KeyValueLookup-v0", "--limit", "1"],
            "unknown policy 'orcale'. Did you mean 'oracle'?",
        ),
    ],
)
def test_unknown_names_get_did_you_mean(args, message, capsys, tmp_path):
    assert leaderboard.main([*args, "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_endpoint_fails_fast_with_its_url(capsys, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    started = time.perf_counter()
    assert leaderboard.main([*KV, "--policy", url, "--out", str(tmp_path / "run")]) == 1
    assert time.perf_counter() - started < 30
    err = capsys.readouterr().err
    assert f"cannot reach the OpenAI-compatible endpoint {url}" in err
    assert not (tmp_path / "run" / "episodes.jsonl").exists() or (tmp_path / "run" / "episodes.jsonl").read_text() == ""


def test_a_folder_of_another_config_is_refused(tmp_path):
    kv = {"methods": ("base-tool-call",), "datasets": ("KeyValueLookup-v0",)}
    with LeaderboardRun(LeaderboardConfig(**kv, limit=2), tmp_path, progress=False):
        pass
    other = LeaderboardRun(LeaderboardConfig(**kv, limit=3), tmp_path, progress=False)  # checking writes nothing
    with pytest.raises(ConfigError, match="another config; use another --out folder"):
        other.open()
    with pytest.raises(ConfigError, match=r"^the run is not open yet; use `with LeaderboardRun\(...\) as run:`"):
        _ = other.store


def test_policy_specs():
    assert type(load_policy("oracle")).__name__ == "OraclePolicy"
    with pytest.raises(ConfigError, match="cannot import policy 'nomodule_xyz:thing'"):
        load_policy("nomodule_xyz:thing")
    assert policy_label("http://10.0.0.2:8000/v1") == "10.0.0.2:8000"


def test_a_small_run_writes_markdown_html_plots_and_json(tmp_path, capsys, kv_policy):
    out = tmp_path / "run"
    args = [
        *KV,
        "--base-policy",
        "kvpolicy:SlowKV",
        "--policy",
        "oracle",
        "--datasets",
        "KeyValueLookup-v0,KeyValueLookupNoisy-v0",
    ]
    assert leaderboard.main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| Tool Call: oracle | 1.000 [1.000, 1.000] | 1.000 [1.000, 1.000] | 1.000 |" in printed
    markdown = (out / "leaderboard.md").read_text()
    assert (
        "## Reference: Agent-R1 paper (not from this run)" in markdown
        and "| GRPO | 0.4405 | 0.5741 | 0.1485 | 0.3877 |" in markdown
    )
    page = (out / "leaderboard.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:|//|/)", page), "the page must not load anything from outside"
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["cover_em.png", "em.png", "f1.png"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["versions"]["gymnasium"] == "1.4.0" and summary["config"]["limit"] == 3
    assert {c["method"] for c in summary["cells"]} == {"base-tool-call", "policy:oracle"}


def test_the_plan_takes_the_first_questions_of_each_bundled_dataset(tmp_path):
    run = LeaderboardRun(LeaderboardConfig(datasets=("musique", "2wiki"), limit=3), tmp_path, progress=False)
    cells = run.plan()
    methods = ["naive-rag", "base-tool-call", "sft", "sft-grpo", "sft-ppo"]  # the default: every row, the shipped agents too
    assert [(c.method, c.dataset, c.env_id) for c in cells] == [
        (method, dataset, env_id)
        for method in methods
        for dataset, env_id in (("musique", "MuSiQue-v0"), ("2wiki", "TwoWikiMultihopQA-v0"))
    ]
    assert {c.indices for c in cells} == {(0, 1, 2)}
    assert [method_label(m) for m in methods] == ["Naive RAG", "Base Tool Call", "SFT", "SFT+GRPO", "SFT+PPO"]
    full = LeaderboardRun(LeaderboardConfig(datasets=("musique",), limit=None), tmp_path / "full", progress=False)
    assert full.plan()[0].indices == tuple(range(292))


def test_a_corrupt_line_is_reported_by_number_and_only_its_episode_runs_again(tmp_path, capsys, kv_policy):
    args = [*KV, "--base-policy", "kvpolicy:SlowKV", "--limit", "4", "--out", str(tmp_path)]
    assert leaderboard.main(args) == 0
    table = (tmp_path / "leaderboard.md").read_text().split("## Wall time")[0]
    path = tmp_path / "episodes.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"  # damaged in the middle of the file
    path.write_text("".join(lines))
    capsys.readouterr()
    assert leaderboard.main(args) == 0
    assert "episodes.jsonl: line 2: not a valid episode record" in capsys.readouterr().err
    assert (tmp_path / "leaderboard.md").read_text().split("## Wall time")[0] == table
    kept = [json.loads(line)["index"] for i, line in enumerate(path.read_text().splitlines()) if i != 1]
    assert sorted(kept) == [0, 1, 2, 3]  # the three valid episodes kept, the damaged one played again and appended


def test_a_stored_episode_outside_the_plan_is_reported_and_not_counted(tmp_path, capsys, kv_policy):
    args = [*KV, "--base-policy", "kvpolicy:SlowKV", "--limit", "2", "--out", str(tmp_path)]
    assert leaderboard.main(args) == 0
    path = tmp_path / "episodes.jsonl"
    record = json.loads(path.read_text().splitlines()[0])
    record["method"] = "base-tool-kall"  # damaged, yet still a valid record
    path.write_text(path.read_text() + json.dumps(record) + "\n")
    assert leaderboard.main(args) == 0
    assert "1 stored episode(s) match no cell of this run (first: base-tool-kall/KeyValueLookup-v0/0)" in capsys.readouterr().err
    assert json.loads((tmp_path / "summary.json").read_text())["cells"][0]["n"] == 2
