"""RelayAnswerer: the scripted answerer that answers with its teammate's report, verbatim.

Paired with any searcher policy it measures the searcher alone: the team scores exactly what the searcher's
report scores. Paired with an oracle searcher it is the "oracle pair".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent_gym.multiagent.team import REPORT, SEARCHER
from agent_gym.rollout.policy import PolicyTurn
from agent_gym.tools.formats import ToolFormat, action_text, get_format

__all__ = ["RelayAnswerer", "read_report"]

_HEADER = REPORT.format(sender=SEARCHER, report="")


def read_report(history: Sequence[dict[str, Any]], header: str = _HEADER) -> str | None:
    """The text of the last report in a history (None when no report arrived).

    Example:
        >>> read_report(({"role": "user", "content": "Q?"}, {"role": "user", "content": "Report from searcher_0:\\namber"}))
        'amber'
        >>> read_report(({"role": "user", "content": "Q?"},)) is None
        True
    """
    for message in reversed(history):
        content = message.get("content") or ""
        if message.get("role") == "user" and content.startswith(header):
            return content[len(header) :].strip()
    return None


class RelayAnswerer:
    """A Policy for the answerer: answer with the report; without one, answer ``fallback``.

    Args:
        tool_format: The team's tool format (its answer syntax is used).
        fallback: The answer given when no report arrived.
    """

    def __init__(self, tool_format: str | ToolFormat = "hermes", fallback: str = "unknown"):
        self.format = get_format(tool_format)
        self.fallback = fallback

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[PolicyTurn]:
        turns = []
        for history in histories:
            report = read_report(history)
            answer = self.format.render_turn(answer=self.fallback if report is None else report)
            message = answer if isinstance(answer, dict) else None
            turns.append(PolicyTurn(text=action_text(answer), message=message))
        return turns
