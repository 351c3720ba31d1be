"""Reward components, the weighted Rubric, and answer metrics."""

from agent_gym.rewards.answers import answer_metrics, cover_exact_match, exact_match, f1_score, normalize_answer
from agent_gym.rewards.components import (
    COMPONENTS,
    Component,
    StepOutcome,
    format_error,
    invalid_call,
    outcome,
    overlong,
    repeated_call,
    signal,
    tool_error,
    turn_cost,
)
from agent_gym.rewards.rubric import PRESETS, Rubric

__all__ = [
    "COMPONENTS",
    "PRESETS",
    "Component",
    "Rubric",
    "StepOutcome",
    "answer_metrics",
    "cover_exact_match",
    "exact_match",
    "f1_score",
    "format_error",
    "invalid_call",
    "normalize_answer",
    "outcome",
    "overlong",
    "repeated_call",
    "signal",
    "tool_error",
    "turn_cost",
]
