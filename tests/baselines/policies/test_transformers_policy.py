"""TransformersPolicy and the embedded SmolLM2: offline answers, exact ids and logprobs, seeds, truncation."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_gym  # noqa: F401
from agent_gym.rollout import build_trajectory, rollout
from tests.baselines.policies.conftest import HISTORY


def test_embedded_model_answers_offline(embedded, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (turn,) = embedded.act([HISTORY], seeds=[0])
    assert "Paris" in turn.text
    chat = embedded.chat_tokenizer()
    assert turn.prompt_token_ids == chat.encode(chat.render(HISTORY, generation_prompt=True))
    assert chat.turn_text(turn.token_ids) == turn.text and len(turn.logprobs) == len(turn.token_ids)


def test_logprobs_are_those_of_the_model_even_in_a_padded_batch(embedded):
    short = (HISTORY[1],)
    turns = embedded.act([HISTORY, short], seeds=[0, 1])
    for turn in turns:
        ids = torch.tensor([turn.prompt_token_ids + turn.token_ids])
        with torch.inference_mode():
            logp = torch.log_softmax(embedded.model(input_ids=ids).logits[0].float(), -1)
        n = len(turn.prompt_token_ids)
        expected = [float(logp[n - 1 + i, t]) for i, t in enumerate(turn.token_ids)]
        assert turn.logprobs == pytest.approx(expected, abs=2e-3)
        assert all(lp <= 0 for lp in turn.logprobs)


def test_seeded_sampling_does_not_depend_on_the_batch(random_lm_policy):
    policy = random_lm_policy(temperature=1.0, max_new_tokens=10)
    alone = policy.act([HISTORY], seeds=[42])[0]
    batched = policy.act([(HISTORY[1],), HISTORY, HISTORY], seeds=[1, 42, 43])
    assert batched[1].token_ids == alone.token_ids
    assert batched[2].token_ids != alone.token_ids  # another seed, another sample


def test_a_prompt_longer_than_the_context_is_truncated_not_fatal(random_lm_policy):
    policy = random_lm_policy(context_window=48, max_new_tokens=8)
    long = (*HISTORY, {"role": "assistant", "content": "x " * 300}, {"role": "user", "content": "and then?"})
    chat = policy.chat_tokenizer()
    full = chat.encode(chat.render(long, generation_prompt=True))
    (turn,) = policy.act([long], seeds=[0])
    assert len(turn.prompt_token_ids) == 40 and len(turn.token_ids) <= 8
    assert turn.prompt_token_ids == full[:20] + full[-20:]  # the opening's head and the latest tokens


def _without_logprobs(episode):
    data = episode.model_dump()
    logprobs = [step["policy"].pop("logprobs") for step in data["steps"]]
    return data, [x for turn in logprobs for x in turn]


@pytest.mark.slow
def test_greedy_embedded_episodes_are_identical_at_concurrency_1_and_16(embedded):
    """Same ids, texts, observations and rewards; logprobs agree to float32 rounding (a padded batch of 3 runs
    other matmul shapes than a batch of 1)."""
    kwargs = {"env_kwargs": {"max_turns": 2}}
    one = [_without_logprobs(e) for e in rollout("KeyValueLookup-v0", embedded, n_episodes=3, concurrency=1, **kwargs)]
    many = [_without_logprobs(e) for e in rollout("KeyValueLookup-v0", embedded, n_episodes=3, concurrency=16, **kwargs)]
    assert [data for data, _ in one] == [data for data, _ in many]
    for (_, a), (_, b) in zip(one, many, strict=True):
        assert a == pytest.approx(b, abs=1e-4) and len(a) > 0


class _Recorder:
    def __init__(self, policy):
        self.policy, self.turns = policy, []

    def act(self, histories, *, tools=None, seeds=None):
        turns = self.policy.act(histories, tools=tools, seeds=seeds)
        self.turns += turns
        return turns


@settings(max_examples=12)
@given(seed=st.integers(0, 2**31 - 1))
def test_the_model_sees_exactly_the_trajectory_it_is_trained_on(random_lm_policy, seed):
    """Every turn's prompt equals the trajectory's ids before that turn: no token is re-encoded between turns."""
    policy = _Recorder(random_lm_policy(temperature=1.0, max_new_tokens=12))
    (episode,) = rollout("KeyValueLookup-v0", policy, seeds=[seed], env_kwargs={"max_turns": 3})
    trajectory = build_trajectory(episode, policy.policy.chat_tokenizer())
    for (start, end), turn in zip(trajectory.turn_spans, policy.turns, strict=True):
        assert trajectory.prompt_ids + trajectory.completion_ids[:start] == turn.prompt_token_ids
        assert trajectory.completion_ids[start:end] == turn.token_ids
        assert all(math.isfinite(lp) for lp in turn.logprobs)
    # Each later turn recorded the env delta it was fed (the builder takes it); computing it again agrees.
    assert all(step.policy.env_delta_ids is not None for step in episode.steps[1:])
    recomputed = episode.model_copy(
        update={
            "steps": tuple(
                s.model_copy(update={"policy": s.policy.model_copy(update={"env_delta_ids": None})}) for s in episode.steps
            )
        }
    )
    assert build_trajectory(recomputed, policy.policy.chat_tokenizer()) == trajectory
