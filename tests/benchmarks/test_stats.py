"""Per-episode measures and bootstrap intervals: seeded, order-free, honest about missing measures."""

import math

from agent_gym.baselines.method import PlayedEpisode
from agent_gym.benchmarks.leaderboard.stats import bootstrap_ci, episode_measures, summarize_cell
from agent_gym.types import Episode, StepRecord


def _played(em: float, errors=(), tokens=5, metrics=None) -> PlayedEpisode:
    info = {"tool_calls": [{"name": "search"}] * 2, "errors": [{"kind": k, "message": ""} for k in errors]}
    step = StepRecord(turn=1, action="a", reward=em, reward_components={}, terminated=True, truncated=False, info=info)
    episode = Episode(
        env_id="E",
        seed=0,
        messages=(),
        steps=(step, step),
        metrics={"em": em, "f1": em, "cover_em": em} if metrics is None else metrics,
    )
    return PlayedEpisode(episode=episode, generated_tokens=tokens)


def test_bootstrap_is_seeded_and_brackets_the_mean():
    values = [0, 1, 1, 0, 1, 0, 0, 0, 1, 1]
    first, second = bootstrap_ci(values, seed=3), bootstrap_ci(values, seed=3)
    assert first == second and first.mean == 0.5 and first.low < 0.5 < first.high
    spread = [0.13 * i**1.5 for i in range(12)]
    assert bootstrap_ci(spread, seed=4) == bootstrap_ci(spread, seed=4) != bootstrap_ci(spread, seed=5)
    assert bootstrap_ci([1.0] * 5).low == 1.0 == bootstrap_ci([1.0] * 5).high
    assert math.isnan(bootstrap_ci([]).mean) and bootstrap_ci([]).n == 0


def test_invalid_calls_count_only_the_models_faults():
    measures = episode_measures(_played(1.0, errors=("parse_error", "unknown_tool", "timeout", "unavailable")))
    assert measures["invalid_calls"] == 4.0  # two steps, two model faults each; timeouts are the tool's
    assert measures["tool_calls"] == 4.0 and measures["turns"] == 2.0 and measures["tokens"] == 5.0


def test_missing_answer_scores_zero_but_missing_metric_or_tokens_is_not_applicable():
    assert episode_measures(_played(0.0, metrics={}))["em"] == 0.0
    assert episode_measures(_played(1.0, metrics={"em": 1.0}))["f1"] is None
    cell = summarize_cell("m", "d", [(0, 0, 1.0, _played(1.0, tokens=None)), (1, 0, 2.0, _played(0.0))])
    assert cell.estimates["tokens"] is None and cell.estimates["em"].mean == 0.5


def test_cell_summary_ignores_completion_order_and_sums_batch_durations():
    episodes = [(i, i // 2, 1.0 + i % 2, _played(float(i % 3 == 0))) for i in range(6)]
    forward = summarize_cell("m", "d", episodes, seed=1)
    backward = summarize_cell("m", "d", episodes[::-1], seed=1)
    assert forward == backward and forward.n == 6
    assert forward.wall_s == 6.0  # three batches, each as long as its slowest episode (2 s)
