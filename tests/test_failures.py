"""The failure boundary: one table of kinds and blame, read by the env, the rewards and the leaderboard alike."""

from concurrent.futures import TimeoutError as FutureTimeout
from typing import get_args

import pytest

from agent_gym.errors import NotPlainJSON, RetrievalError, ToolArgumentError
from agent_gym.failures import BLAME, FailureKind, ToolFailure, blame_of, failure_from_exception
from agent_gym.rewards.components import StepOutcome, invalid_call, tool_error
from agent_gym.types import ParsedTurn, ToolCall, ToolResult


def test_every_kind_has_one_blame():
    assert set(BLAME) == set(get_args(FailureKind))
    assert set(BLAME.values()) == {"policy", "tool"}


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ToolArgumentError("bad key"), "invalid_arguments"),
        (NotPlainJSON("too deep"), "invalid_arguments"),
        (FutureTimeout(), "timeout"),
        (ConnectionRefusedError("port 8000"), "unavailable"),
        (RetrievalError("server down"), "unavailable"),
        (ZeroDivisionError("division by zero"), "tool_exception"),
    ],
)
def test_an_exception_is_classified_once(exc, kind):
    failure = failure_from_exception(exc, tool="search", timeout_s=2.0)
    assert failure.kind == kind
    assert failure.blame == BLAME[kind]


@pytest.mark.parametrize("kind", sorted(BLAME))
def test_rewards_and_the_leaderboard_count_a_kind_by_its_blame(kind):
    result = ToolResult(call=ToolCall(name="search"), failure=ToolFailure(kind=kind, message=""))
    step = StepOutcome(turn=1, parsed=ParsedTurn(), results=(result,))
    policy_fault = BLAME[kind] == "policy"
    assert (invalid_call(step), tool_error(step)) == ((-1.0, 0.0) if policy_fault else (0.0, -1.0))
    assert blame_of(kind) == BLAME[kind]


def test_a_kind_unknown_to_this_version_has_no_blame():
    assert blame_of("from_the_future") is None
