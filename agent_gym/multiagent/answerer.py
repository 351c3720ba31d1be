"""AnswererEnv: the tool-less teammate's side of a team episode, itself a :class:`ToolEnv`.

The answerer of a team holds no tools. It is nonetheless a full :class:`~agent_gym.tools.env.ToolEnv` with an
empty tool list: its turns are parsed by the same :class:`~agent_gym.tools.formats.ToolFormat`, a call it writes
becomes an ``unknown_tool`` error message, its turns are scored by the same
:class:`~agent_gym.rewards.Rubric`, and it keeps the same append-only history. Only three things differ
from a single-agent env:

- its task is the *source* env's current task (the question the searcher was given), and its answer is
  scored by the source env's :meth:`~agent_gym.tools.env.ToolEnv.score_answer`;
- its system prompt describes no tools, only how to write the final answer;
- :meth:`AnswererEnv.receive` appends a teammate's message to its history (a ``user`` turn).
"""

from __future__ import annotations

from typing import Any

from agent_gym.errors import ResetNeeded
from agent_gym.tools.env import ToolEnv
from agent_gym.tools.formats import action_text
from agent_gym.types import Task

__all__ = ["AnswererEnv"]


class AnswererEnv(ToolEnv):
    """Answer a source ToolEnv's task without tools, from the messages a teammate sends.

    Args:
        source: The env whose task is answered; its format, rubric, action-length limit and
            ``score_answer`` are reused, so both teammates play by the same rules.
        max_turns: Turns the answerer gets once it is its turn (a malformed turn can be retried).
        instructions: Instructions placed before the answer syntax in the system prompt.
        render_mode: ``"ansi"``, ``"human"`` or None.

    Example:
        >>> from agent_gym.envs.key_value import KeyValueLookupEnv
        >>> source = KeyValueLookupEnv()
        >>> _ = source.reset(seed=0)
        >>> answerer = AnswererEnv(source)
        >>> history, info = answerer.reset(seed=0)
        >>> history[1]["content"] == source.task.prompt, info["tools"]
        (True, [])
        >>> answerer.receive("The chain ends at " + source.task.info["answer"])
        >>> _, reward, terminated, _, info = answerer.step(f"<answer>{source.task.info['answer']}</answer>")
        >>> reward, terminated, info["metrics"]
        (1.0, True, {'em': 1.0})
    """

    default_instructions = (
        "You are the answerer of a two-agent team, and you hold no tools. Your teammate, the searcher, holds "
        "the tools: it looks for the evidence and sends you a report. Answer the question from that report."
    )

    def __init__(
        self,
        source: ToolEnv,
        *,
        max_turns: int = 2,
        instructions: str | None = None,
        render_mode: str | None = None,
    ):
        super().__init__(
            [],
            tool_format=source.format,
            reward=source.rubric,
            max_turns=max_turns,
            max_action_chars=source.max_action_chars,
            instructions=instructions,
            render_mode=render_mode,
        )
        self.source = source
        # The source decides which of its metrics the outcome pays (an instance value shadows the class one).
        self.outcome_metric = source.outcome_metric

    @staticmethod
    def history_bound(max_turns: int, max_tool_calls_per_turn: int) -> int:
        """A ToolEnv's bound plus the one report :meth:`receive` appends."""
        return ToolEnv.history_bound(max_turns, max_tool_calls_per_turn) + 1

    @property
    def system_prompt(self) -> str:
        example = action_text(self.format.render_turn(answer="your final answer"))
        return f"{self.instructions}\n\nWrite the final answer like this:\n{example}"

    def sample_task(self, options: dict[str, Any]) -> Task:
        """The source env's current task (reset the source first)."""
        if self.source.task is None:
            raise ResetNeeded("the source env has no task yet; reset it before resetting its AnswererEnv")
        return self.source.task

    def score_answer(self, answer: str) -> dict[str, float]:
        return self.source.score_answer(answer)

    def receive(self, content: str) -> None:
        """Append a teammate's message to the history, as a ``user`` turn the answerer reads next.

        Raises:
            ResetNeeded: the episode is over or was never started.
        """
        self._check_can_step()
        self._append({"role": "user", "content": content})
