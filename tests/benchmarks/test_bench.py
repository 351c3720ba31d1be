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


@pytest.mark.slow
def test_trajectory_section_compares_assembly_with_generation_of_the_same_episodes():
    from agent_gym.benchmarks.perf import bench_trajectory

    figures = bench_trajectory(episodes=2, max_new_tokens=8, turns=2)
    assert 0 < figures["policy_tokens"] <= 2 * 2 * 8  # the policy tokens of 2 episodes of at most 2 turns of 8 tokens
    assert figures["generation_s"] > 0 and figures["assembly_s"] > 0
    assert figures["ratio_assembly_over_generation"] == pytest.approx(figures["assembly_s"] / figures["generation_s"])


@pytest.mark.slow
def test_policy_section_compares_the_fast_path_with_the_padded_one_on_the_same_episodes():
    from agent_gym.benchmarks.perf import bench_policy

    figures = bench_policy(questions=2, max_new_tokens=4, batch_size=2)
    for mode in ("reuse", "reuse_continuous"):
        assert figures[f"speedup_{mode}_episodes_per_min"] == pytest.approx(
            figures[f"{mode}_episodes_per_min"] / figures["padded_episodes_per_min"]
        )
        assert figures[f"{mode}_generated_tokens"] == figures["padded_generated_tokens"] > 0
        assert figures[f"{mode}_episodes_identical_to_padded"] == "2/2"  # greedy: the same turns, token for token
