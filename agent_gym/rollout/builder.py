"""From an :class:`~agent_gym.types.Episode` to the token tensors a trainer consumes (DESIGN §4).

:func:`build_trajectory` lays an episode out as one sequence: the prompt ids (the opening, rendered), then for
each turn the ids the policy generated (loss mask 1, their logprobs, the turn's reward on the last one) followed
by the env's tokenised chat-template delta (loss mask 0). The generated ids come from each step's
:class:`~agent_gym.types.PolicyRecord` (``step.policy.token_ids``), so they are never re-encoded; the rule for the
deltas and its documented exceptions are in :mod:`agent_gym.rollout.chat_tokens`.

Each env delta is computed once. A policy that builds each prompt from the previous one (the previous prompt,
the previous turn's ids and the env delta, as ``TransformersPolicy`` does) records the delta it fed the model in
the next turn's ``policy.env_delta_ids``, and the builder takes those ids as they are: the trajectory holds exactly
the ids the model saw. The builder computes a delta only where none was recorded: after the last turn, and for
episodes of policies that do not record them (or written before they did).

:func:`turn_samples` gives the per-turn view: one sample per turn whose prompt is everything before that turn's
tokens (what the model saw, before any truncation) and whose completion is the turn's tokens.

A turn that produced no token (a policy error) gets no span of its own; its reward is added to the last policy
token before it, or is lost when there is none (reported in ``TurnSample.reward`` all the same).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from agent_gym.errors import ConfigError
from agent_gym.rollout.chat_tokens import ChatTokenizer, EnvDelta, opening_length
from agent_gym.rollout.trajectory import TokenTrajectory
from agent_gym.types import Episode, PolicyRecord

__all__ = ["TurnSample", "build_trajectory", "turn_samples"]


class TurnSample(BaseModel):
    """One turn as a stand-alone (prompt, completion) sample."""

    model_config = ConfigDict(frozen=True)

    turn: int
    """1-based turn index."""
    prompt_ids: tuple[int, ...]
    """Everything before the turn: the opening, earlier turns and env deltas."""
    completion_ids: tuple[int, ...]
    """The turn's generated ids."""
    logprobs: tuple[float, ...]
    """Sampling log-probability of each completion id."""
    reward: float
    """The step's reward."""


def _assistant_positions(messages: tuple[dict, ...]) -> list[int]:
    start = opening_length(messages)
    return [i for i in range(start, len(messages)) if messages[i].get("role") == "assistant"]


def build_trajectory(episode: Episode, chat: ChatTokenizer) -> TokenTrajectory:
    """The episode as a :class:`TokenTrajectory`, rendered with the policy's ``chat`` tokenizer.

    Args:
        episode: An episode played by a token-aware policy (every step has ``policy.token_ids``).
        chat: The policy's rendering (``TransformersPolicy.chat_tokenizer(tools)``).

    Raises:
        ConfigError: the episode has no token ids (played by a text-only policy), or its steps and messages
            disagree.
    """
    messages = episode.messages
    positions = _assistant_positions(messages)
    if len(positions) != len(episode.steps):
        raise ConfigError(f"episode has {len(episode.steps)} steps but {len(positions)} assistant messages; is it complete?")
    prompt_ids = chat.prompt_ids(messages)
    ids: list[int] = []
    mask: list[int] = []
    logprobs: list[float] = []
    rewards: list[float] = []
    spans: list[tuple[int, int]] = []
    inexact: list[int] = []
    records = [step.policy for step in episode.steps]
    for k, (step, record, position) in enumerate(zip(episode.steps, records, positions, strict=True)):
        generated = None if record is None else record.token_ids
        if generated is None:
            raise ConfigError(f"turn {step.turn} has no token ids: build trajectories from a token-aware policy's episodes")
        turn_logprobs = record.logprobs or (0.0,) * len(generated)
        start = len(ids)
        ids += generated
        mask += [1] * len(generated)
        logprobs += [float(x) for x in turn_logprobs]
        rewards += [0.0] * len(generated)
        spans.append((start, len(ids)))
        if generated:
            rewards[-1] += step.reward
        elif 1 in mask:
            rewards[len(mask) - 1 - mask[::-1].index(1)] += step.reward
        delta = _recorded_delta(records[k + 1]) if k + 1 < len(records) else None
        if delta is None:
            end = positions[k + 1] if k + 1 < len(positions) else len(messages)
            delta = chat.env_delta(messages[:position], generated, messages[:end], generation_prompt=k + 1 < len(positions))
        if not delta.exact:
            inexact.append(step.turn)
        ids += delta.ids
        mask += [0] * len(delta.ids)
        logprobs += [0.0] * len(delta.ids)
        rewards += [0.0] * len(delta.ids)
    return TokenTrajectory(
        prompt_ids=prompt_ids,
        completion_ids=tuple(ids),
        loss_mask=tuple(mask),
        logprobs=tuple(logprobs),
        token_rewards=tuple(rewards),
        turn_spans=tuple(spans),
        inexact_turns=tuple(inexact),
    )


def _recorded_delta(record: PolicyRecord | None) -> EnvDelta | None:
    """The env delta the policy fed the model before this turn, when it recorded one."""
    if record is None or record.env_delta_ids is None:
        return None
    return EnvDelta(record.env_delta_ids, bool(record.env_delta_exact))


def turn_samples(trajectory: TokenTrajectory, episode: Episode) -> list[TurnSample]:
    """The per-turn view of a trajectory built from ``episode``.

    Example:
        >>> # samples = turn_samples(build_trajectory(episode, chat), episode)
        >>> # samples[1].prompt_ids ends with the env's reply to turn 1 and the next generation prompt
    """
    samples = []
    for step, (start, end) in zip(episode.steps, trajectory.turn_spans, strict=True):
        samples.append(
            TurnSample(
                turn=step.turn,
                prompt_ids=trajectory.prompt_ids + trajectory.completion_ids[:start],
                completion_ids=trajectory.completion_ids[start:end],
                logprobs=trajectory.logprobs[start:end],
                reward=step.reward,
            )
        )
    return samples
