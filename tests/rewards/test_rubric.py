"""Rubric presets, weights, and the finite-reward guarantee."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_gym.errors import ConfigError, RewardError
from agent_gym.rewards import PRESETS, Rubric, StepOutcome, signal
from agent_gym.types import ParsedTurn, ToolCall, ToolFailure, ToolResult


def outcome_step(**kw):
    return StepOutcome(turn=kw.pop("turn", 1), parsed=kw.pop("parsed", ParsedTurn(answer="a")), **kw)


def test_outcome_preset_is_agent_r1s():
    rubric = Rubric.preset("outcome")
    assert rubric.score(outcome_step(done=True, answer_score=0.5)) == {"outcome": 0.5}
    assert rubric.score(outcome_step(done=True, answer_score=1.0, format_score=0.25)) == {"outcome": -0.75}
    assert rubric.score(outcome_step(done=False, answer_score=1.0)) == {"outcome": 0.0}


def test_outcome_preset_ignores_env_extras_but_process_adds_them():
    extra = {"hits": (signal("hits"), 0.2)}
    assert "hits" not in Rubric.preset("outcome", extra=extra).names
    parts = Rubric.preset("process", extra=extra).score(outcome_step(signals={"hits": 2}))
    assert parts["hits"] == pytest.approx(0.4)


def test_process_components_are_weighted():
    failed = ToolResult(call=ToolCall(name="x"), failure=ToolFailure(kind="timeout", message=""))
    bad = ToolResult(call=ToolCall(name="x"), failure=ToolFailure(kind="unknown_tool", message=""))
    parts = Rubric.preset("process").score(
        outcome_step(parsed=ParsedTurn(tool_calls=(ToolCall(name="x"),)), results=(failed, bad), repeated_calls=1)
    )
    assert parts["tool_error"] == pytest.approx(-PRESETS["process"]["tool_error"])
    assert parts["invalid_call"] == pytest.approx(-PRESETS["process"]["invalid_call"])
    assert parts["repeated_call"] == pytest.approx(-PRESETS["process"]["repeated_call"])


def test_custom_weights_and_unknown_names():
    assert Rubric.resolve({"turn_cost": 2.0}).score(outcome_step()) == {"turn_cost": -2.0}
    with pytest.raises(ConfigError, match="Did you mean 'turn_cost'"):
        Rubric(weights={"turn_costs": 1.0})
    with pytest.raises(ConfigError, match="finite"):
        Rubric(weights={"turn_cost": math.inf})


def test_non_finite_component_is_an_error():
    rubric = Rubric(weights={"bad": 1.0}, components={"bad": lambda step: math.nan})
    with pytest.raises(RewardError, match="'bad' returned nan"):
        rubric.score(outcome_step())


@given(score=st.floats(0, 1), fmt=st.floats(0, 1), done=st.booleans(), repeats=st.integers(0, 20))
def test_process_rewards_stay_finite_and_bounded(score, fmt, done, repeats):
    parts = Rubric.preset("process").score(outcome_step(done=done, answer_score=score, format_score=fmt, repeated_calls=repeats))
    total = sum(parts.values())
    assert math.isfinite(total) and -3.0 <= total <= 1.0
