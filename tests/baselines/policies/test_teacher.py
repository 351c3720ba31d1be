"""The always-search-twice teacher: its second query is one the passages read so far give away."""

from __future__ import annotations

import statistics

import pytest

from agent_gym.baselines.policies.teacher import TwoHopTeacher, learnable, question_query
from tests.baselines.policies.conftest import teach


def _teach(results: list[str], titles: list[str], question: str = "Who directed Ed Wood?", max_turns: int = 5) -> list[str]:
    return teach(TwoHopTeacher(), results, titles, question=question, max_turns=max_turns)


def test_the_bridge_is_searched_as_the_passages_name_it():
    named = "[1] Tim Burton\nTim Burton directed the film Ed Wood."
    assert _teach([named, "[1] Ed Wood (film)\n..."], ["Tim Burton", "Ed Wood (film)"]) == [
        '"Who directed Ed Wood"',
        '"Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]


def test_when_the_first_search_found_everything_it_still_searches_a_title_it_read():
    found = "[1] Tim Burton\nAn American director.\n[2] Ed Wood (film)\nA 1994 film."
    # the confirming search: the supporting title that is not the first result's, disambiguation dropped
    assert _teach([found, found], ["Tim Burton", "Ed Wood (film)"]) == [
        '"Who directed Ed Wood"',
        '"Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]


def test_a_missing_title_no_passage_names_is_not_guessed():
    assert _teach(["[1] Tim Burton\nAn American director."], ["Tim Burton", "Johnny Depp"]) == [
        '"Who directed Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]


def test_queries_carry_no_double_quotes_to_escape():
    turns = _teach(["[1] Tim Burton\nx\n[2] Ed Wood\ny", ""], ["Tim Burton", "Ed Wood"], question='Who made "Ed Wood"?')
    assert turns[0] == '"Who made Ed Wood"'
    assert question_query('A "quoted" title?') == "A quoted title"


def test_the_last_turn_answers():
    named = "[1] Tim Burton\nTim Burton directed the film Ed Wood."
    assert _teach([named], ["Tim Burton", "Ed Wood (film)"], max_turns=2) == [
        '"Who directed Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]


@pytest.fixture(scope="module")
def train_episodes():
    from agent_gym.rollout import RolloutEngine
    from agent_gym.rollout.tasks import TaskPlan

    plan = TaskPlan.for_env("MultiHopQA-v0", {"top_k": 3, "max_turns": 5, "reward": "process"}, holdout=32)
    tasks = plan.tasks(0, 64)
    engine = RolloutEngine(plan.make_env, TwoHopTeacher(), concurrency=4)
    return engine.run(list(range(len(tasks))), options=[plan.ref(t).reset_options() for t in tasks])


def test_every_learnable_train_episode_searches_at_least_twice_and_finds_all_support(train_episodes):
    kept = [e for e in train_episodes if learnable(e)]
    assert len(kept) >= len(train_episodes) // 2  # 172 of the first 256 train tasks; most of the first 64 too
    for episode in kept:
        last = episode.steps[-1].info
        assert last["searches"] >= 2 and last["retrieval_hits"] == last["supporting_total"]
        queries = [c["arguments"]["query"] for s in episode.steps for c in s.info["tool_calls"]]
        assert len(set(queries)) == len(queries)  # every search asks something new
        assert episode.metrics["em"] == 1.0
    dropped = [e for e in train_episodes if not learnable(e)]
    assert all(e.steps[-1].info["retrieval_hits"] < e.steps[-1].info["supporting_total"] for e in dropped)
    assert statistics.fmean(e.steps[-1].info["searches"] for e in kept) >= 2.0
