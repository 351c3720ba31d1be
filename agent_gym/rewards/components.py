"""Reward components: small pure functions of one step's :class:`StepOutcome`.

Each returns an *unweighted* value; a :class:`~agent_gym.rewards.rubric.Rubric` weights and sums them.
Penalties are negative, bonuses positive, so every weight is a non-negative scale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from agent_gym.types import ParsedTurn, ToolResult

__all__ = [
    "COMPONENTS",
    "Component",
    "StepOutcome",
    "format_error",
    "invalid_call",
    "outcome",
    "overlong",
    "repeated_call",
    "signal",
    "tool_error",
    "turn_cost",
]


class StepOutcome(BaseModel):
    """Everything a reward component may look at for one step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    turn: int
    """1-based turn index."""
    parsed: ParsedTurn
    """What the parser read from the action."""
    results: tuple[ToolResult, ...] = ()
    """One result per parsed call, after noise."""
    repeated_calls: int = 0
    """Calls in this turn identical (name and arguments) to an earlier call of the episode."""
    action_truncated: bool = False
    """The action was longer than the env's limit and was cut."""
    done: bool = False
    """The episode ends with this step (answer given, or a limit hit)."""
    answer_score: float | None = None
    """Score of the final answer in [0, 1] (the env's chosen outcome metric); None if no answer was given."""
    format_score: float = 1.0
    """Fraction of the episode's turns so far that were well formed."""
    signals: Mapping[str, float] = Field(default_factory=dict)
    """Env-specific facts interpreted from tool results, e.g. ``{"retrieval_hit": 1}``."""


Component = Callable[[StepOutcome], float]


def outcome(step: StepOutcome) -> float:
    """Agent-R1's outcome reward, paid on the last step only.

    The answer's score if every turn was well formed, else ``format_score - 1`` (in [-1, 0)).

    Example:
        >>> from agent_gym.types import ParsedTurn
        >>> outcome(StepOutcome(turn=2, parsed=ParsedTurn(answer="x"), done=True, answer_score=1.0))
        1.0
        >>> outcome(StepOutcome(turn=2, parsed=ParsedTurn(), done=True, format_score=0.5))
        -0.5
        >>> outcome(StepOutcome(turn=1, parsed=ParsedTurn(answer="x"), answer_score=1.0))
        0.0
    """
    if not step.done:
        return 0.0
    if step.format_score < 1.0:
        return step.format_score - 1.0
    return step.answer_score if step.answer_score is not None else 0.0


def format_error(step: StepOutcome) -> float:
    """-1 when the turn is not well formed: it has a syntax failure, or it neither calls a tool nor answers.

    Example:
        >>> format_error(StepOutcome(turn=1, parsed=ParsedTurn()))
        -1.0
        >>> format_error(StepOutcome(turn=1, parsed=ParsedTurn(answer="x")))
        0.0
    """
    return 0.0 if step.parsed.well_formed else -1.0


def invalid_call(step: StepOutcome) -> float:
    """-1 per failure that is the policy's fault (:data:`agent_gym.failures.BLAME`): syntax errors, unknown tools,
    bad arguments, too many calls.

    Example:
        >>> from agent_gym.types import ToolFailure
        >>> invalid_call(StepOutcome(turn=1, parsed=ParsedTurn(failures=(ToolFailure(kind="parse_error", message=""),))))
        -1.0
    """
    failures = [*step.parsed.failures, *(r.failure for r in step.results if r.failure is not None)]
    return float(-sum(1 for failure in failures if failure.blame == "policy"))


def tool_error(step: StepOutcome) -> float:
    """-1 per call that failed by the tool's fault (:data:`agent_gym.failures.BLAME`): exception, timeout, unavailable.

    Example:
        >>> tool_error(StepOutcome(turn=1, parsed=ParsedTurn()))
        0.0
    """
    return float(-sum(1 for r in step.results if r.failure is not None and r.failure.blame == "tool"))


def repeated_call(step: StepOutcome) -> float:
    """-1 per call repeating an earlier one verbatim (redundant tool use).

    Example:
        >>> repeated_call(StepOutcome(turn=3, parsed=ParsedTurn(), repeated_calls=2))
        -2.0
    """
    return float(-step.repeated_calls)


def turn_cost(step: StepOutcome) -> float:
    """-1 per turn: with a small weight, prefers shorter solutions.

    Example:
        >>> turn_cost(StepOutcome(turn=1, parsed=ParsedTurn()))
        -1.0
    """
    return -1.0


def overlong(step: StepOutcome) -> float:
    """-1 when the action had to be truncated.

    Example:
        >>> overlong(StepOutcome(turn=1, parsed=ParsedTurn(), action_truncated=True))
        -1.0
    """
    return -1.0 if step.action_truncated else 0.0


def signal(name: str) -> Component:
    """A component that reads the env's signal ``name`` (0 when absent).

    Example:
        >>> hits = signal("retrieval_hit")
        >>> hits(StepOutcome(turn=1, parsed=ParsedTurn(), signals={"retrieval_hit": 2.0}))
        2.0
    """

    def read(step: StepOutcome) -> float:
        return float(step.signals.get(name, 0.0))

    read.__name__ = f"signal_{name}"
    read.__doc__ = f"The env's {name!r} signal for this step."
    return read


COMPONENTS: dict[str, Component] = {
    fn.__name__: fn for fn in (outcome, format_error, invalid_call, tool_error, repeated_call, turn_cost, overlong)
}
"""Built-in components by name; envs add their own to a Rubric."""
