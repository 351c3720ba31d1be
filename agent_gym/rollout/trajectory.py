"""TokenTrajectory: one episode as the token-level tensors an RL trainer consumes (DESIGN §4)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["TokenTrajectory"]


class TokenTrajectory(BaseModel):
    """An episode in tokens. Policy tokens are kept exactly as generated; env tokens are the tokenised
    chat-template delta of the messages the env appended; nothing the model generated is re-encoded.
    """

    model_config = ConfigDict(frozen=True)

    prompt_ids: tuple[int, ...]
    """The opening history (system + user) rendered with the chat template, generation prompt included."""
    completion_ids: tuple[int, ...]
    """Everything after the prompt: policy tokens and env tokens interleaved, in order."""
    loss_mask: tuple[int, ...]
    """1 exactly on policy tokens, 0 on env tokens; same length as ``completion_ids``."""
    logprobs: tuple[float, ...]
    """Sampling log-probability of each policy token; 0.0 on env tokens."""
    token_rewards: tuple[float, ...]
    """Each turn's reward on that turn's last policy token; 0.0 elsewhere."""
    turn_spans: tuple[tuple[int, int], ...]
    """``[start, end)`` of each turn's policy tokens inside ``completion_ids``."""
    inexact_turns: tuple[int, ...] = ()
    """Turns (1-based) whose env delta hit a documented template exception (see
    :mod:`agent_gym.rollout.chat_tokens`): their ids still hold, but decoding them does not reproduce the
    template's rendering of the history exactly (e.g. the env cut an over-long turn)."""

    @model_validator(mode="after")
    def _aligned(self) -> TokenTrajectory:
        n = len(self.completion_ids)
        if not len(self.loss_mask) == len(self.logprobs) == len(self.token_rewards) == n:
            raise ValueError(
                f"completion_ids, loss_mask, logprobs and token_rewards must have one entry per token, got lengths "
                f"{n}, {len(self.loss_mask)}, {len(self.logprobs)}, {len(self.token_rewards)}"
            )
        return self
