"""Naive RAG and Base Tool Call: both score through the env, batch-invariant, and record the policy's turns."""

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401 - registers the envs
from agent_gym.baselines.base_tool_call import BaseToolCall
from agent_gym.baselines.method import TaskSpec
from agent_gym.baselines.naive_rag import NaiveRAG, extract_short_answer
from agent_gym.baselines.policies import OraclePolicy
from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout.policy import PolicyTurn
from agent_gym.testing import FunctionPolicy


class _Gold:
    """Answers every RAG prompt with the gold answer of the question it contains (looked up in the env)."""

    def __init__(self, env):
        self.answers = {r.question: r.answers[0] for _, r in env.unwrapped.records[:8]}

    def act(self, histories, *, tools=None, seeds=None):
        turns = []
        for history in histories:
            question = history[-1]["content"].rsplit("Question: ", 1)[1]
            text = f"Answer: {self.answers[question]}."
            turns.append(PolicyTurn(text=text, token_ids=(1, 2, 3), prompt_token_ids=(4,) * 10))
        return turns


def _play(method, env_id, indices, batch):
    envs = [gym.make(env_id) for _ in range(batch)]
    out = {}
    for start in range(0, len(indices), batch):
        chunk = indices[start : start + batch]
        tasks = [TaskSpec(seed=100 + i, options={"index": i}) for i in chunk]
        for slot, played in method.play(envs[: len(chunk)], tasks):
            out[chunk[slot]] = played
    return out


def test_naive_rag_is_one_turn_scored_by_the_env():
    env = gym.make("HotpotQA-v0")
    played = _play(NaiveRAG(_Gold(env), k=2), "HotpotQA-v0", list(range(4)), batch=4)
    for index, result in played.items():
        episode = result.episode
        assert len(episode.steps) == 1 and episode.terminated
        assert episode.metrics == {"em": 1.0, "f1": 1.0, "cover_em": 1.0}
        assert episode.reset_info["index"] == index
        assert len(episode.steps[0].info["naive_rag"]["passages"]) == 2
        assert episode.messages[0]["role"] == "system" and "Passages:\n[1] " in episode.messages[1]["content"]
        assert (result.generated_tokens, result.prompt_tokens) == (3, 10)


def test_naive_rag_wrong_answers_score_zero():
    policy = FunctionPolicy(lambda history: "No, I do not think so.")
    played = _play(NaiveRAG(policy), "HotpotQA-v0", [0, 1], batch=2)
    assert [p.episode.steps[0].info["answer"] for p in played.values()] == ["no", "no"]
    assert played[0].generated_tokens is None  # FunctionPolicy reports no token ids


def test_base_tool_call_oracle_solves_and_results_do_not_depend_on_batching():
    one = _play(BaseToolCall(OraclePolicy()), "HotpotQA-v0", list(range(5)), batch=1)
    three = _play(BaseToolCall(OraclePolicy()), "HotpotQA-v0", list(range(5)), batch=3)
    assert one.keys() == three.keys() == set(range(5))
    for index in range(5):
        assert one[index].episode == three[index].episode
        assert one[index].episode.metrics["em"] == 1.0
        assert one[index].episode.steps[0].policy.seed != one[index].episode.steps[-1].policy.seed


def test_base_tool_call_records_policy_failures_as_empty_turns():
    class Down:
        def act(self, histories, *, tools=None, seeds=None):
            raise PolicyError("server down")

    played = _play(BaseToolCall(Down()), "KeyValueLookup-v0", [0], batch=1)[0]
    assert played.policy_errors and all(e == "PolicyError: server down" for e in played.policy_errors)
    assert played.episode.truncated and not played.episode.metrics


def test_naive_rag_records_policy_failures_as_its_one_empty_answer():
    class Down:
        def act(self, histories, *, tools=None, seeds=None):
            raise PolicyError("server down")

    played = _play(NaiveRAG(Down(), k=1), "HotpotQA-v0", [0, 1], batch=2)
    for result in played.values():
        (step,) = result.episode.steps
        assert result.policy_errors == ("PolicyError: server down",) == (step.policy.error,)
        assert step.turn == 1 and result.episode.metrics["em"] == 0.0


def test_bad_arguments_are_refused():
    with pytest.raises(ConfigError, match="expected a Policy"):
        BaseToolCall(object())
    with pytest.raises(ConfigError, match="k must be >= 1"):
        NaiveRAG(OraclePolicy(), k=0)
    with pytest.raises(ConfigError, match="has no `retriever`"):
        next(NaiveRAG(OraclePolicy()).play([gym.make("KeyValueLookup-v0")], [TaskSpec(seed=0, options={"index": 0})]))


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yes, both are American.", "yes"),
        ("answer - 1945", "1945"),
        ("\n\nThe answer is: Mount Everest. It is tall.", "Mount Everest"),
    ],
)
def test_short_answer_extraction(text, answer):
    assert extract_short_answer(text) == answer
