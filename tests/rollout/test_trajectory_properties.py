"""Token trajectories (DESIGN §4): mask exactly on generated tokens, decoding reproduces the rendering, and no
model token is ever re-encoded. Ids are drawn over the embedded model's whole vocabulary (garbage included)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import agent_gym  # noqa: F401
from agent_gym.errors import ConfigError
from agent_gym.rollout import build_trajectory, rollout, turn_samples
from tests.rollout.conftest import ReplayTokenPolicy

ENV_KWARGS = {"max_turns": 4}


def _episode(chat, seed, length, eos_prob):
    policy = ReplayTokenPolicy(chat, length=length, eos_prob=eos_prob)
    (episode,) = rollout("KeyValueLookup-v0", policy, seeds=[seed], env_kwargs=ENV_KWARGS)
    return episode, policy.turns


@given(seed=st.integers(0, 2**31 - 1), length=st.integers(0, 40), eos_prob=st.sampled_from([0.0, 0.5, 1.0]))
def test_mask_is_one_exactly_on_generated_tokens_which_are_kept_verbatim(smol_chat, seed, length, eos_prob):
    episode, turns = _episode(smol_chat, seed, length, eos_prob)
    trajectory = build_trajectory(episode, smol_chat)
    in_span = [0] * len(trajectory.completion_ids)
    for (start, end), turn in zip(trajectory.turn_spans, turns, strict=True):
        assert trajectory.completion_ids[start:end] == turn.token_ids  # not re-encoded
        assert trajectory.logprobs[start:end] == turn.logprobs
        in_span[start:end] = [1] * (end - start)
    assert list(trajectory.loss_mask) == in_span
    assert all(lp == 0.0 for lp, m in zip(trajectory.logprobs, trajectory.loss_mask, strict=True) if not m)


@given(seed=st.integers(0, 2**31 - 1), length=st.integers(0, 40), eos_prob=st.sampled_from([0.0, 0.5, 1.0]))
def test_decoding_all_ids_reproduces_the_final_rendering(smol_chat, seed, length, eos_prob):
    episode, _ = _episode(smol_chat, seed, length, eos_prob)
    trajectory = build_trajectory(episode, smol_chat)
    assert trajectory.inexact_turns == ()
    decoded = smol_chat.decode(trajectory.prompt_ids + trajectory.completion_ids)
    assert decoded == smol_chat.render(episode.messages, generation_prompt=False)


@given(seed=st.integers(0, 2**31 - 1))
def test_rewards_sit_on_each_turns_last_policy_token(smol_chat, seed):
    episode, _ = _episode(smol_chat, seed, 10, 1.0)
    trajectory = build_trajectory(episode, smol_chat)
    expected = [0.0] * len(trajectory.completion_ids)
    for (start, end), step in zip(trajectory.turn_spans, episode.steps, strict=True):
        if end > start:
            expected[end - 1] += step.reward
    assert list(trajectory.token_rewards) == expected


def test_the_per_turn_view_rebuilds_the_prompt_of_every_turn(smol_chat):
    episode, _ = _episode(smol_chat, 5, 12, 1.0)
    trajectory = build_trajectory(episode, smol_chat)
    samples = turn_samples(trajectory, episode)
    assert [s.turn for s in samples] == [s.turn for s in episode.steps] and len(samples) >= 2
    opening = smol_chat.render(episode.messages[:2], generation_prompt=True)
    for sample, step in zip(samples, episode.steps, strict=True):
        assert sample.reward == step.reward
        assert smol_chat.decode(sample.prompt_ids).startswith(opening)
    # the prompt of turn 2 is exactly the rendering of the history the policy saw before it
    second = [i for i, m in enumerate(episode.messages) if m["role"] == "assistant"][1]
    assert smol_chat.decode(samples[1].prompt_ids) == smol_chat.render(episode.messages[:second], generation_prompt=True)


def test_an_env_cut_turn_is_a_documented_exception(smol_chat):
    policy = ReplayTokenPolicy(smol_chat, length=60, eos_prob=1.0)
    (episode,) = rollout("KeyValueLookup-v0", policy, seeds=[1], env_kwargs={"max_turns": 2, "max_action_chars": 5})
    trajectory = build_trajectory(episode, smol_chat)
    cut = [s.turn for s in episode.steps if s.info["action_truncated"]]
    assert cut and trajectory.inexact_turns == tuple(cut)
    assert sum(trajectory.loss_mask) == sum(len(t.token_ids) for t in policy.turns)  # ids kept as generated


def test_a_recorded_env_delta_is_used_as_the_policy_fed_it(smol_chat):
    """The env delta after turn k is the one recorded on turn k + 1 (what the model saw), never recomputed."""
    episode, _ = _episode(smol_chat, 5, 12, 1.0)
    computed = build_trajectory(episode, smol_chat)
    fed = (11, 12, 13)
    second = episode.steps[1].model_copy(
        update={"policy": episode.steps[1].policy.model_copy(update={"env_delta_ids": fed, "env_delta_exact": False})}
    )
    recorded = episode.model_copy(update={"steps": (episode.steps[0], second, *episode.steps[2:])})
    trajectory = build_trajectory(recorded, smol_chat)
    (start, end), (next_start, _) = trajectory.turn_spans[:2]
    assert trajectory.completion_ids[end:next_start] == fed and trajectory.loss_mask[end:next_start] == (0, 0, 0)
    assert trajectory.completion_ids[next_start:] == computed.completion_ids[computed.turn_spans[1][0] :]
    assert trajectory.inexact_turns == (1,)  # the policy said its delta hit a template exception


def test_text_only_episodes_have_no_trajectory(smol_chat):
    from agent_gym.baselines.policies import OraclePolicy

    (episode,) = rollout("KeyValueLookup-v0", OraclePolicy(), seeds=[0])
    with pytest.raises(ConfigError, match="turn 1 has no token ids"):
        build_trajectory(episode, smol_chat)
