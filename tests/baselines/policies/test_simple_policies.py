"""Scripted, oracle and human policies, and policies by name."""

from __future__ import annotations

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401
from agent_gym.baselines.policies import POLICY_NAMES, HumanPolicy, OraclePolicy, ScriptedPolicy, make_policy
from agent_gym.errors import ConfigError
from agent_gym.rollout import Policy, new_episode_id, rollout
from tests.baselines.policies.conftest import HISTORY, teach


def test_scripted_policy_plays_its_list_then_repeats_the_last_action():
    policy = ScriptedPolicy(["a", "b"])
    histories = [HISTORY, HISTORY + ({"role": "assistant", "content": "a"},), HISTORY + ({"role": "assistant"},) * 5]
    assert [t.text for t in policy.act(histories)] == ["a", "b", "b"]
    message = {"role": "assistant", "content": None, "tool_calls": []}
    assert ScriptedPolicy([message]).act([HISTORY])[0].action == message
    with pytest.raises(ValueError, match="at least one action"):
        ScriptedPolicy([])


@pytest.mark.parametrize("tool_format", ["hermes", "openai", "search_r1", "react"])
def test_the_oracle_solves_key_value_lookup_in_every_tool_format(tool_format):
    episodes = rollout(
        "KeyValueLookup-v0", OraclePolicy(), n_episodes=3, concurrency=3, env_kwargs={"tool_format": tool_format, "hops": 3}
    )
    assert [e.metrics["em"] for e in episodes] == [1.0] * 3
    assert all(len(e.steps) == 4 and e.steps[0].info["errors"] == [] for e in episodes)


def test_the_oracle_plays_qa_from_supporting_titles_and_answers():
    policy = OraclePolicy()
    opening = ({"role": "system", "content": "s"}, {"role": "user", "content": "Who?"})
    info = {"supporting_titles": ["A", "B"], "answers": ["Ann"], "tool_format": "hermes"}
    tools = [
        {
            "type": "function",
            "function": {
                "name": "search",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
            },
        }
    ]
    episode = new_episode_id()
    policy.start_episode(episode, opening, info)
    texts = []
    history = opening
    for _ in range(3):
        (turn,) = policy.act([history], tools=tools, episodes=[episode])
        texts.append(turn.text)
        history = history + ({"role": "assistant", "content": turn.text}, {"role": "tool", "content": "r"})
    assert texts == [
        '<tool_call>\n{"name": "search", "arguments": {"query": "A"}}\n</tool_call>',
        '<tool_call>\n{"name": "search", "arguments": {"query": "B"}}\n</tool_call>',
        "<answer>Ann</answer>",
    ]


def _teach(results: list[str], titles: list[str], max_turns: int = 5) -> list[str]:
    return teach(OraclePolicy(question_first=True), results, titles, max_turns=max_turns)


def test_the_teacher_searches_the_question_then_only_titles_the_passages_name():
    named = "[1] Tim Burton\nTim Burton directed the film Ed Wood."
    # "Ed Wood (film)" is missing but named ("Ed Wood"): searched as the passages name it, then the answer
    assert _teach([named, "[1] Ed Wood (film)\n..."], ["Tim Burton", "Ed Wood (film)"]) == [
        '"Who directed Ed Wood"',
        '"Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]
    # a missing title no passage names could not be inferred by the student: the teacher answers instead
    assert _teach(["[1] Tim Burton\nAn American director."], ["Tim Burton", "Johnny Depp"]) == [
        '"Who directed Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]
    # every supporting title retrieved by the question: straight to the answer
    assert _teach(["[1] Tim Burton\nx\n[2] Ed Wood\ny"], ["Tim Burton", "Ed Wood"]) == [
        '"Who directed Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]


def test_the_teacher_never_repeats_a_query_and_answers_on_the_last_turn():
    loop = "[1] Other\nIt names Ed Wood (film) and Ed Wood."  # named, yet every search misses it
    assert _teach([loop] * 5, ["Ed Wood (film)"], max_turns=5) == [
        '"Who directed Ed Wood"',
        '"Ed Wood (film)"',
        '"Ed Wood"',
        "<answer>Tim Burton</answer>",
    ]
    assert _teach([loop] * 5, ["Ed Wood (film)"], max_turns=2) == ['"Who directed Ed Wood"', "<answer>Tim Burton</answer>"]


def test_the_oracle_on_a_registered_qa_env():
    env_id = "MultiHopQA-v0"
    if env_id not in gym.registry:
        pytest.skip("the QA envs are not registered in this checkout")
    episodes = rollout(env_id, OraclePolicy(), n_episodes=3, concurrency=3)
    assert all(e.metrics.get("em") == 1.0 for e in episodes)


def test_the_oracle_without_gold_facts_reports_an_error_turn():
    (turn,) = OraclePolicy().act([HISTORY])
    assert turn.error == "the oracle needs one episode id per history (got none for 1); run it through the rollout engine"
    policy, episode = OraclePolicy(), new_episode_id()
    assert policy.act([HISTORY], episodes=[episode])[0].error.endswith("start_episode was not called for it")
    policy.start_episode(episode, HISTORY, {"task_id": "t"})
    assert policy.act([HISTORY], episodes=[episode])[0].error.startswith("the oracle needs reset info with supporting_titles")


def test_the_human_policy_reads_lines_until_an_empty_one_and_shows_new_messages():
    lines = iter(["", '<tool_call>{"name": "lookup",', '"arguments": {"key": "a"}}</tool_call>', "", "<answer>x</answer>", ""])
    shown = []
    policy = HumanPolicy(input_fn=lambda prompt: next(lines), output_fn=shown.append)
    (episode,) = rollout("KeyValueLookup-v0", policy, seeds=[0])
    assert [s.action for s in episode.steps] == [
        '<tool_call>{"name": "lookup",\n"arguments": {"key": "a"}}</tool_call>',
        "<answer>x</answer>",
    ]
    assert shown[0].startswith("=== new episode (kv-") and shown[-1] == "=== episode over"
    assert any(text.startswith("[TOOL (lookup)]\nNo key 'a' exists.") for text in shown)
    assert not any(text.startswith("[ASSISTANT]") for text in shown)  # typed turns are not echoed


def test_end_of_input_is_a_policy_error():
    def eof(prompt):
        raise EOFError

    assert HumanPolicy(input_fn=eof, output_fn=lambda text: None).act([HISTORY])[0].error == "end of input: no turn was typed"


def test_policies_by_name():
    assert isinstance(make_policy("oracle"), Policy)
    assert set(POLICY_NAMES) == {"embedded", "transformers", "openai", "oracle", "human", "sft", "sft-grpo", "sft-ppo"}
    with pytest.raises(ConfigError, match="unknown policy 'orcle'.*Did you mean 'oracle'"):
        make_policy("orcle")
    with pytest.raises(ConfigError, match="needs model=PATH"):
        make_policy("transformers")
