"""``agent-gym bench`` reports each speed as a ratio against a reference measured in the same run."""

import json
import math

import pytest

from agent_gym.cli import bench


@pytest.mark.slow
def test_quick_bench_writes_finite_ratios(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--sections", "env,rollout", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert set(results) == {"env", "rollout"}
    ratios = {f"{s}.{k}": v for s, figures in results.items() for k, v in figures.items() if k.startswith(("ratio_", "speedup_"))}
    assert set(ratios) == {
        "env.ratio_with_over_without_retrieval",
        "env.ratio_env_steps_over_raw_search",
        "rollout.ratio_overlapped_over_ideal",
        "rollout.speedup_over_sequential",
    }
    assert all(math.isfinite(v) and v > 0 for v in ratios.values())
    # each ratio is recomputable from the figures it divides
    env = results["env"]
    assert env["ratio_with_over_without_retrieval"] == pytest.approx(
        env["steps_per_s_with_retrieval"] / env["steps_per_s_without_retrieval"]
    )
    assert "rollout    ratio_overlapped_over_ideal" in capsys.readouterr().out


def test_unknown_sections_get_did_you_mean(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--sections", "retreival"])
    assert "Did you mean 'retrieval'?" in capsys.readouterr().err
