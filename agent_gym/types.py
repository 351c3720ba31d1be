"""Typed, frozen records that cross agent-gym's boundaries.

Every model round-trips through JSON (``model_dump(mode="json")`` / ``model_validate``). Observations
themselves stay plain chat-message dicts (what ``tokenizer.apply_chat_template`` and OpenAI-compatible
servers take); :class:`Message` is the typed view of one of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_gym.failures import FailureKind, ToolFailure  # re-exported: the failure boundary is their home

__all__ = [
    "ChatHistory",
    "Episode",
    "FailureKind",
    "Message",
    "ParsedTurn",
    "PolicyRecord",
    "Role",
    "StepRecord",
    "Task",
    "ToolCall",
    "ToolFailure",
    "ToolOutput",
    "ToolResult",
    "ResultItem",
]

Role = Literal["system", "user", "assistant", "tool"]

ChatHistory = tuple[dict[str, Any], ...]
"""A chat history as envs return it and policies read it: plain message dicts, oldest first.

The observation of every :class:`~agent_gym.core.AgentEnv`; :class:`agent_gym.spaces.History` is its space.
"""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ToolCall(_Frozen):
    """One call of a tool, as parsed from a model turn."""

    name: str
    """Name of the tool to call."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """JSON-compatible keyword arguments."""
    id: str = ""
    """Call id; filled by the env (``call_<turn>_<k>``) when the format carries none."""

    def key(self) -> str:
        """Canonical ``name(args)`` string: two calls with equal keys are the same call."""
        return f"{self.name}({json.dumps(self.arguments, sort_keys=True, ensure_ascii=False, default=str)})"

    def to_openai(self) -> dict[str, Any]:
        """This call in OpenAI ``tool_calls`` form (arguments as a JSON string)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments, ensure_ascii=False)},
        }


class ParsedTurn(_Frozen):
    """What a parser read from one assistant turn."""

    tool_calls: tuple[ToolCall, ...] = ()
    """Calls in the order they appear."""
    answer: str | None = None
    """The final answer, when the turn gives one."""
    failures: tuple[ToolFailure, ...] = ()
    """Syntax errors: a call-shaped fragment that could not be read."""

    @property
    def well_formed(self) -> bool:
        """The turn parsed cleanly and does something (calls a tool or answers)."""
        return not self.failures and (bool(self.tool_calls) or self.answer is not None)


class ResultItem(_Frozen):
    """One element of a list-shaped tool output (e.g. a retrieved passage)."""

    text: str
    """What the model sees of this item."""
    meta: dict[str, Any] = Field(default_factory=dict)
    """Hidden facts the env interprets (e.g. passage id, title); not shown to the model."""


class ToolOutput(_Frozen):
    """What a tool reports happened: the raw outcome, before noise and before interpretation."""

    content: str = ""
    """Free-text result."""
    items: tuple[ResultItem, ...] = ()
    """List-shaped result; noise can drop, shuffle and truncate items."""


class ToolResult(_Frozen):
    """The outcome of one call after noise: either ``output`` or ``failure`` is set."""

    call: ToolCall
    """The call this answers."""
    output: ToolOutput | None = None
    """The (noised) output when the call succeeded."""
    failure: ToolFailure | None = None
    """Why it failed, otherwise."""
    latency_s: float = 0.0
    """Simulated latency drawn by the noise model (seconds); 0 when latency is not modelled."""
    noise: tuple[str, ...] = ()
    """Names of the noise effects applied, e.g. ``("dropped:1", "shuffled")``."""

    @property
    def ok(self) -> bool:
        return self.failure is None


class Task(_Frozen):
    """One task an env poses at ``reset``: the visible prompt and the hidden facts it is scored against."""

    id: str
    """Stable identifier (e.g. the dataset's question id)."""
    prompt: str
    """The user message that opens the episode."""
    info: dict[str, Any] = Field(default_factory=dict)
    """JSON-serialisable facts reported in the reset ``info`` (never shown to the model)."""


class Message(_Frozen):
    """Typed view of one chat message (OpenAI / Hugging Face chat format)."""

    role: Role
    content: str = ""
    tool_calls: tuple[dict[str, Any], ...] | None = None
    """OpenAI ``tool_calls`` entries (``{"id", "type": "function", "function": {"name", "arguments"}}``)."""
    tool_call_id: str | None = None
    """For ``role == "tool"``: the call this message answers."""
    name: str | None = None
    """For ``role == "tool"``: the tool's name."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict without unset optional keys, ready for a chat template."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls is not None:
            data["tool_calls"] = [dict(call) for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            data["name"] = self.name
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls.model_validate(dict(data))


class PolicyRecord(_Frozen):
    """What the policy did on one turn, as a rollout records it beside the env's ``info`` (a trainer's input)."""

    seed: int | None = None
    """The sampling seed the policy got for this turn (:func:`~agent_gym.rollout.episode.turn_seed`)."""
    token_ids: tuple[int, ...] | None = None
    """The generated ids exactly as sampled (token-aware policies), else None."""
    logprobs: tuple[float, ...] | None = None
    """Sampling log-probability of each generated id, else None."""
    n_prompt_tokens: int | None = None
    """Length of the prompt the turn was generated from (after truncation), else None."""
    env_delta_ids: tuple[int, ...] | None = None
    """The env's tokens this turn's prompt added after the previous turn's generated ids, as the policy fed them
    (:meth:`~agent_gym.rollout.chat_tokens.ChatTokenizer.env_delta`); None when the policy did not build its
    prompt that way (a first turn, a text policy, a fresh render): the trajectory builder then computes them."""
    env_delta_exact: bool | None = None
    """Whether ``env_delta_ids`` followed the template's rendering exactly (False: a documented template
    exception); None with ``env_delta_ids``."""
    error: str | None = None
    """Why the policy produced no turn (the env then received an empty turn), else None."""


_LEGACY_POLICY_KEYS = frozenset({"seed", "token_ids", "logprobs", "n_prompt_tokens", "error"})


class StepRecord(_Frozen):
    """One transition of an episode, as recorded by the rollout layer."""

    turn: int
    """1-based turn index."""
    action: str
    """The assistant turn's text (for dict actions, its ``content``)."""
    reward: float
    """Scalar reward of this step (sum of ``reward_components``)."""
    reward_components: dict[str, float]
    """Weighted value of each rubric component."""
    terminated: bool
    truncated: bool
    info: dict[str, Any] = Field(default_factory=dict)
    """The env's JSON-serialisable ``info`` for this step, as the env returned it."""
    policy: PolicyRecord | None = None
    """The policy's side of the turn; None for a step no policy turn went into (an agent that was not acting)."""

    @model_validator(mode="before")
    @classmethod
    def _legacy_policy(cls, data: Any) -> Any:
        # Episodes written before the record had its own field kept it in info["policy"]: move it out. Only
        # a record without the field whose info["policy"] has exactly the old keys moves; an env's own
        # info["policy"] stays where it is.
        if isinstance(data, dict) and "policy" not in data and isinstance(data.get("info"), dict):
            old = data["info"].get("policy")
            if isinstance(old, dict) and set(old) == _LEGACY_POLICY_KEYS:
                info = {k: v for k, v in data["info"].items() if k != "policy"}
                return {**data, "info": info, "policy": old}
        return data


class Episode(_Frozen):
    """A whole episode: what the leaderboard and trainers consume."""

    env_id: str
    """Registered id (or class name) of the env."""
    seed: int | None
    """Seed passed to ``reset``."""
    task_id: str = ""
    """Identifier of the task (e.g. the question id)."""
    messages: ChatHistory
    """Final history (the last observation)."""
    steps: tuple[StepRecord, ...]
    """Every transition in order."""
    reset_info: dict[str, Any] = Field(default_factory=dict)
    """``info`` returned by ``reset``."""
    metrics: dict[str, float] = Field(default_factory=dict)
    """Outcome metrics of the final answer (e.g. ``em``, ``f1``)."""

    @property
    def total_reward(self) -> float:
        return float(sum(step.reward for step in self.steps))

    @property
    def terminated(self) -> bool:
        return bool(self.steps) and self.steps[-1].terminated

    @property
    def truncated(self) -> bool:
        return bool(self.steps) and self.steps[-1].truncated
