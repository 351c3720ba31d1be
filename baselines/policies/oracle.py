"""OraclePolicy: plays from the gold facts of the reset ``info``; the upper bound and the plumbing test.

* **QA envs** (reset info with ``supporting_titles`` and ``answers``): one turn per supporting title, searching
  for the title with the env's search tool, then the first gold answer.
* **Key-value env** (reset info with ``chain`` and ``answer``): looks up each key of the chain, then answers.

Turns are written with the env's own tool format (``info["tool_format"]``), so the oracle works in every format.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from agent_gym.baselines.policies.scripted import assistant_turns

from agent_gym.rollout.policy import PolicyTurn, episode_key
from agent_gym.tools.formats import get_format
from agent_gym.types import ToolCall

__all__ = ["OraclePolicy"]


class OraclePolicy:
    """Cheats with the hidden facts; implements :class:`~agent_gym.rollout.policy.EpisodeAware`.

    Args:
        search_tool: Name of the QA env's search tool; None picks the first tool whose name contains "search"
            (or the only tool).
    """

    def __init__(self, search_tool: str | None = None):
        self.search_tool = search_tool
        self._episodes: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def start_episode(self, history: tuple[dict[str, Any], ...], info: dict[str, Any]) -> None:
        with self._lock:
            self._episodes[episode_key(history)] = dict(info)

    def end_episode(self, history: tuple[dict[str, Any], ...]) -> None:
        with self._lock:
            self._episodes.pop(episode_key(history), None)

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[PolicyTurn]:
        return [self._turn(history, tools or ()) for history in histories]

    def _turn(self, history: tuple[dict[str, Any], ...], tools: Sequence[dict[str, Any]]) -> PolicyTurn:
        with self._lock:
            info = self._episodes.get(episode_key(history))
        if info is None:
            return PolicyTurn(text="", error="the oracle has no reset info for this episode; run it through the rollout engine")
        plan = _plan(info, tools, self.search_tool)
        if isinstance(plan, str):
            return PolicyTurn(text="", error=plan)
        calls, answer = plan
        step = assistant_turns(history)
        fmt = get_format(info.get("tool_format", "hermes"))
        action = fmt.render_turn([calls[step]]) if step < len(calls) else fmt.render_turn(answer=answer)
        if isinstance(action, str):
            return PolicyTurn(text=action)
        return PolicyTurn(text=str(action.get("content") or ""), message=dict(action))


def _plan(info: Mapping[str, Any], tools: Sequence[dict[str, Any]], search_tool: str | None) -> tuple[list[ToolCall], str] | str:
    """The oracle's calls and answer for an episode, or why it has none."""
    if "supporting_titles" in info and info.get("answers"):
        schema = _search_schema(tools, search_tool)
        if schema is None:
            return f"the oracle found no search tool among {[t.get('function', {}).get('name') for t in tools]}"
        name, parameter = schema
        calls = [
            ToolCall(name=name, arguments={parameter: str(title)}, id=f"oracle_{i}")
            for i, title in enumerate(info["supporting_titles"])
        ]
        return calls, str(info["answers"][0])
    if "chain" in info and "answer" in info:
        calls = [ToolCall(name="lookup", arguments={"key": key}, id=f"oracle_{i}") for i, key in enumerate(info["chain"])]
        return calls, str(info["answer"])
    return "the oracle needs reset info with supporting_titles and answers (QA) or chain and answer (key-value)"


def _search_schema(tools: Sequence[dict[str, Any]], preferred: str | None) -> tuple[str, str] | None:
    """(tool name, its single string parameter) of the search tool."""
    functions = [t.get("function", t) for t in tools]
    if preferred is not None:
        functions = [f for f in functions if f.get("name") == preferred]
    elif len(functions) > 1:
        functions = [f for f in functions if "search" in str(f.get("name", "")).lower()] or functions
    for function in functions:
        parameters = function.get("parameters", {})
        required = list(parameters.get("required", ()))
        if len(required) == 1 and parameters.get("properties", {}).get(required[0], {}).get("type") == "string":
            return str(function["name"]), required[0]
    return None
