"""TwoHopTeacher: an SFT teacher whose every episode searches twice, with a second query the student can read off.

The first teacher (:class:`~agent_gym.baselines.policies.oracle.OraclePolicy` with ``question_first=True``) searched
again in 46% of its episodes, whenever the first passages missed a supporting paragraph: a judgement the 135M
student cannot make from its own context, so it learned the majority action (answer after one search) and no
trained agent ever made a second hop (docs/results.md). Small models do better when they always search
("Search, Do not Guess", arXiv 2604.04651), so this teacher's episodes have one shape:

1. search the question (double quotes dropped: the student copied them into its JSON query unescaped);
2. search again, always, for an entity the passages already read name:
   * the **bridge**: a supporting title not retrieved yet that a passage names, written as the passage writes it
     ("Ed Wood (film)" -> "Ed Wood");
   * when the first search already found every supporting paragraph, the **confirming** search: the supporting
     title that is not the first result's, as the result list shows it (a title the student reads in ``[n] Title``);
3. further bridges while turns remain (MuSiQue's 3- and 4-hop questions), then the answer.

An episode whose missing paragraph no passage names has no readable second query; :func:`learnable` says which
episodes to keep (every supporting paragraph found), so SFT never imitates a query the student could not infer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agent_gym.baselines.policies.oracle import OraclePolicy, _search_schema
from agent_gym.rollout.policy import EpisodeId, PolicyTurn
from agent_gym.testing.policies import assistant_turns
from agent_gym.tools.formats import get_format
from agent_gym.types import ToolCall

__all__ = ["TwoHopTeacher", "learnable", "question_query"]

_MAX_QUERY_WORDS = 24  # a question-length query fits the leaderboard's 64-token turn with the call's markup
_DISAMBIGUATION = re.compile(r"\s*\([^()]*\)$")  # Wikipedia's trailing "(film)", "(1999 film)", ...
_RESULT_TITLE = re.compile(r"^\[\d+\] (.+)$", re.MULTILINE)  # results render as "[n] Title\ntext"


def question_query(question: str) -> str:
    """The first search: the question's words, without its question mark and double quotes.

    >>> question_query('Which film came first, "Ed Wood" or "Alien"?')
    'Which film came first, Ed Wood or Alien'
    """
    words = str(question).replace('"', "").rstrip().rstrip("?").split()
    return " ".join(words[:_MAX_QUERY_WORDS])


def learnable(episode: Any) -> bool:
    """Whether a teacher episode is worth imitating: it answered and found every supporting paragraph, so each of
    its queries was one a passage (or the question) gave away."""
    if not episode.steps:
        return False
    last = episode.steps[-1].info
    return bool(episode.terminated) and last.get("retrieval_hits", 0) >= last.get("supporting_total", 1)


class TwoHopTeacher(OraclePolicy):
    """The always-search-twice teacher of the ``cpu-qa-2hop`` SFT recipe (QA envs only).

    Args:
        search_tool: Name of the QA env's search tool; None picks it as the oracle does.
    """

    def __init__(self, search_tool: str | None = None):
        super().__init__(search_tool, question_first=True)

    def _turn(self, episode: EpisodeId, history: tuple[dict[str, Any], ...], tools: Sequence[dict[str, Any]]) -> PolicyTurn:
        with self._lock:
            info = self._episodes.get(episode)
        if info is None or "question" not in info or "supporting_titles" not in info:
            return super()._turn(episode, history, tools)
        fmt = get_format(info.get("tool_format", "hermes"))
        call = _next_search(info, history, tools, self.search_tool, fmt)
        action = fmt.render_turn([call]) if call is not None else fmt.render_turn(answer=str(info["answers"][0]))
        if isinstance(action, str):
            return PolicyTurn(text=action)
        return PolicyTurn(text=str(action.get("content") or ""), message=dict(action))


def _next_search(
    info: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    tools: Sequence[dict[str, Any]],
    preferred: str | None,
    fmt: Any,
) -> ToolCall | None:
    """The teacher's next search, or None to answer."""
    step = assistant_turns(history)
    schema = _search_schema(tools, preferred)
    if schema is None or step + 1 >= int(info.get("max_turns", 5)):  # the last turn must answer
        return None
    name, parameter = schema
    if step == 0:
        return ToolCall(name=name, arguments={parameter: question_query(str(info["question"]))}, id="teacher_0")
    read = "\n".join(str(m.get("content") or "") for m in history if m.get("role") == "tool")
    retrieved = [t.casefold() for t in _RESULT_TITLE.findall(read)]
    asked = {
        str(c.arguments.get(parameter, "")).casefold()
        for m in history
        if m.get("role") == "assistant"
        for c in fmt.parse(m.get("content") or "", {}).tool_calls
    }
    titles = [str(t) for t in info["supporting_titles"]]
    for title in titles:  # the bridge: a missing supporting title that a passage names
        if title.casefold() in retrieved:
            continue
        for query in dict.fromkeys((title, _DISAMBIGUATION.sub("", title))):
            if query and query.casefold() not in asked and query.casefold() in read.casefold():
                return ToolCall(name=name, arguments={parameter: query.replace('"', "")}, id=f"teacher_{step}")
    if step == 1 and all(t.casefold() in retrieved for t in titles):  # everything found: the confirming search
        first = retrieved[0] if retrieved else ""
        for title in [t for t in titles if t.casefold() != first] or titles:
            query = _DISAMBIGUATION.sub("", title).replace('"', "") or title
            if query.casefold() not in asked:
                return ToolCall(name=name, arguments={parameter: query}, id=f"teacher_{step}")
    return None
