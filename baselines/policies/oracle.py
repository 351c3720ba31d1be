"""OraclePolicy: plays from the gold facts of the reset ``info``; the upper bound and the plumbing test.

* **QA envs** (reset info with ``supporting_titles`` and ``answers``): one turn per supporting title, searching
  for the title with the env's search tool, then the first gold answer. With ``question_first=True`` it plays
  as a *teacher* whose turns a model can learn to imitate (the SFT warm start): it searches the question, then
  each supporting title that no search has returned yet *and that a passage already read names* (the bridging
  entity), then answers; it never needs more than the env's turns. A title no passage names is not searched:
  nothing the student sees could tell it that query, and imitating it taught the first SFT agent to repeat
  its first search (docs/results.md).
* **Key-value env** (reset info with ``chain`` and ``answer``): looks up each key of the chain, then answers.

Turns are written with the env's own tool format (``info["tool_format"]``), so the oracle works in every format.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from agent_gym.rollout.policy import EpisodeId, PolicyTurn
from agent_gym.testing.policies import assistant_turns
from agent_gym.tools.formats import get_format
from agent_gym.types import ToolCall

__all__ = ["OraclePolicy"]


class OraclePolicy:
    """Cheats with the hidden facts; implements :class:`~agent_gym.rollout.policy.EpisodeAware`.

    Args:
        search_tool: Name of the QA env's search tool; None picks the first tool whose name contains "search"
            (or the only tool).
        question_first: QA envs: search the question first, then only the supporting titles not yet retrieved.
    """

    def __init__(self, search_tool: str | None = None, *, question_first: bool = False):
        self.search_tool = search_tool
        self.question_first = question_first
        self._episodes: dict[EpisodeId, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def start_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...], info: dict[str, Any]) -> None:
        with self._lock:
            self._episodes[episode] = dict(info)

    def end_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...]) -> None:
        with self._lock:
            self._episodes.pop(episode, None)

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
        episodes: Sequence[EpisodeId] | None = None,
    ) -> list[PolicyTurn]:
        if episodes is None or len(episodes) != len(histories):
            got = "none" if episodes is None else len(episodes)
            error = f"the oracle needs one episode id per history (got {got} for {len(histories)})"
            error += "; run it through the rollout engine"
            return [PolicyTurn(text="", error=error) for _ in histories]
        return [self._turn(episode, history, tools or ()) for episode, history in zip(episodes, histories, strict=True)]

    def _turn(self, episode: EpisodeId, history: tuple[dict[str, Any], ...], tools: Sequence[dict[str, Any]]) -> PolicyTurn:
        with self._lock:
            info = self._episodes.get(episode)
        if info is None:
            error = f"the oracle has no reset info for episode {episode}; start_episode was not called for it"
            return PolicyTurn(text="", error=error)
        plan = _plan(info, tools, self.search_tool)
        if isinstance(plan, str):
            return PolicyTurn(text="", error=plan)
        calls, answer = plan
        step = assistant_turns(history)
        fmt = get_format(info.get("tool_format", "hermes"))
        if self.question_first and "question" in info:
            call = _teacher_call(info, history, calls, fmt)
            action = fmt.render_turn([call]) if call is not None else fmt.render_turn(answer=answer)
        else:
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


_MAX_QUERY_WORDS = 24  # a question-length query fits the leaderboard's 64-token turn with the call's markup
_DISAMBIGUATION = re.compile(r"\s*\([^()]*\)$")  # Wikipedia's trailing "(film)", "(1999 film)", ...


def _teacher_call(
    info: Mapping[str, Any], history: Sequence[Mapping[str, Any]], title_calls: list[ToolCall], fmt: Any
) -> ToolCall | None:
    """The teacher's next search (None: answer now): the question, then the supporting titles not yet retrieved
    that the passages read so far name."""
    step = assistant_turns(history)
    if step + 1 >= int(info.get("max_turns", 5)):  # the last turn must answer
        return None
    name, parameter = title_calls[0].name, next(iter(title_calls[0].arguments))
    if step == 0:
        query = " ".join(str(info["question"]).rstrip("?").split()[:_MAX_QUERY_WORDS])
        return ToolCall(name=name, arguments={parameter: query}, id="teacher_0")
    read = "\n".join(str(m.get("content") or "") for m in history if m.get("role") == "tool") + "\n"
    asked = {
        str(c.arguments.get(parameter, ""))
        for m in history
        if m.get("role") == "assistant"
        for c in fmt.parse(m.get("content") or "", {}).tool_calls
    }
    for call in title_calls:
        title = str(call.arguments[parameter])
        if f"] {title}\n" in read:  # retrieved already (results render as "[n] Title\ntext")
            continue
        # The query is the title as the passages name it: "Ed Wood (film)" is usually named "Ed Wood".
        for query in dict.fromkeys((title, _DISAMBIGUATION.sub("", title))):
            if query and query not in asked and query.casefold() in read.casefold():
                return ToolCall(name=name, arguments={parameter: query}, id=f"teacher_{step}")
    return None


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
