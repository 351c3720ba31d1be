"""MultiHopQATeam-v0 on the bundled questions: the oracle pair, and the searcher's side is MultiHopQA-v0."""

from __future__ import annotations

import gymnasium as gym
import pytest

from agent_gym.baselines.policies import OraclePolicy
from agent_gym.multiagent import ANSWERER, SEARCHER, RelayAnswerer, make, run_team_episode

pytestmark = pytest.mark.skipif("MultiHopQA-v0" not in gym.registry, reason="MultiHopQA-v0 is not registered yet")


def _searcher_progress(episode):
    """The searcher's last own step info (its idle rounds carry no retrieval facts)."""
    return [step.info for step in episode.episodes[SEARCHER].steps if "retrieval_hits" in step.info][-1]


@pytest.mark.parametrize("split", ["dev", "train"])
def test_oracle_pair_solves_every_bundled_question_whose_gold_paragraphs_are_retrieved(split):
    env = make("MultiHopQATeam-v0", split=split)
    policies = {SEARCHER: OraclePolicy(), ANSWERER: RelayAnswerer()}
    retrieved, unsolved = 0, []
    for index in range(env.searcher_env.num_questions):
        episode = run_team_episode(env, policies, seed=0, options={"index": index})
        progress = _searcher_progress(episode)
        if progress["retrieval_hits"] == progress["supporting_total"]:
            retrieved += 1
            if episode.metrics["em"] != 1.0 or episode.returns != {SEARCHER: 1.0, ANSWERER: 1.0}:
                unsolved.append(episode.episodes[SEARCHER].task_id)
    assert unsolved == []
    assert retrieved >= 0.9 * env.searcher_env.num_questions  # BM25 finds the gold titles for most questions


def test_the_team_gets_the_single_agent_question_and_tools():
    team, single = make("MultiHopQATeam-v0", reward="process"), gym.make("MultiHopQA-v0", reward="process").unwrapped
    observations, infos = team.reset(seed=3)
    history, info = single.reset(seed=3)
    assert infos[SEARCHER]["question_id"] == infos[ANSWERER]["question_id"] == info["question_id"]
    assert observations[SEARCHER]["history"][1] == observations[ANSWERER]["history"][1] == history[1]
    assert team.tool_schemas(SEARCHER) == single.tool_schemas and team.tool_schemas(ANSWERER) == []
    query = info["supporting_titles"][0]
    call = f'<tool_call>{{"name": "search", "arguments": {{"query": "{query}"}}}}</tool_call>'
    _, rewards, _, _, infos = team.step({SEARCHER: call})
    _, reward, _, _, info = single.step(call)
    assert rewards[SEARCHER] == reward and infos[SEARCHER]["retrieval_hits"] == info["retrieval_hits"] >= 1
    assert infos[SEARCHER]["reward_components"]["retrieval_hit"] > 0 and rewards[ANSWERER] == 0.0
