"""Naive RAG: retrieve top-k passages with the question, generate once, extract the answer.

The answer is then given to the env as its one and only turn (written in the env's own tool format), so
the episode is scored by the env exactly like a multi-turn one: same EM, F1 and cover-EM, same reward.
The recorded messages are what the model actually read (the RAG prompt) and what it wrote; the step's
``info["naive_rag"]`` keeps the raw generation and the titles of the passages it was given. The episode is
assembled by the rollout engine's :class:`~agent_gym.rollout.episode.EpisodeState` (the policy's side in
``StepRecord.policy``), and a policy that fails (a ``PolicyError``) gives an empty answer, recorded as its error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import gymnasium as gym

from agent_gym.baselines.method import PlayedEpisode, TaskSpec, played_episode
from agent_gym.errors import ConfigError
from agent_gym.rollout.episode import EpisodeState, act, env_id_of
from agent_gym.rollout.policy import Policy
from agent_gym.tools.formats import extract_answer

__all__ = ["RAG_INSTRUCTIONS", "NaiveRAG", "extract_short_answer", "rag_prompt"]

RAG_INSTRUCTIONS = (
    "Answer the question using the passages. Reply with the answer only: a name, a date, a number, yes or no, "
    "or a short phrase, without explanation."
)
_PREFIX = re.compile(r"^\s*(?:(?:the\s+)?(?:final\s+)?answer\s*(?:is\s*[:\-]?|[:\-]))\s*", re.IGNORECASE)
_POLAR = re.compile(r"^(yes|no)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\"'])\.\s")


class _Retriever(Protocol):
    def search(self, query: str, k: int) -> Sequence[Any]: ...


def extract_short_answer(text: str) -> str:
    """The answer in a generation, for models that do not follow the format.

    In order: the ``<answer>`` tag; else the first non-empty line without an "Answer:" / "The answer is" prefix,
    reduced to "yes" or "no" when it opens with one, else to its first sentence.

    Example:
        >>> extract_short_answer("Answer: Paris.\\nBecause the passage says so.")
        'Paris'
        >>> extract_short_answer("I think <answer>Lyon</answer>")
        'Lyon'
        >>> extract_short_answer("No, they are not from the same country.")
        'no'
        >>> extract_short_answer("The answer is Ed Wood. He directed it.")
        'Ed Wood'
    """
    tagged = extract_answer(text)
    if tagged is not None:
        return tagged
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = _PREFIX.sub("", line).strip()
    polar = _POLAR.match(line)
    if polar:
        return polar.group(1).lower()
    return _SENTENCE_END.split(line, maxsplit=1)[0].strip().rstrip(".").strip()


def rag_prompt(question: str, passages: Sequence[Any]) -> tuple[dict[str, str], ...]:
    """The two-message chat the model reads: instructions, then the numbered passages and the question.

    Example:
        >>> class P: title, text = "Paris", "Paris is the capital of France."
        >>> print(rag_prompt("Capital of France?", [P()])[1]["content"])
        Passages:
        [1] Paris: Paris is the capital of France.
        <BLANKLINE>
        Question: Capital of France?
    """
    lines = [f"[{i}] {getattr(p, 'title', '')}: {getattr(p, 'text', p)}" for i, p in enumerate(passages, 1)]
    user = "Passages:\n" + "\n".join(lines) + f"\n\nQuestion: {question}"
    return ({"role": "system", "content": RAG_INSTRUCTIONS}, {"role": "user", "content": user})


class NaiveRAG:
    """Retrieve, then read: one generation per question, no tool use.

    Args:
        policy: Any :class:`~agent_gym.rollout.Policy`; it is called without tools.
        k: Passages retrieved per question.
        retriever: Backend with ``search(query, k)``; by default the env's own (``env.unwrapped.retriever``),
            so Naive RAG and the tool-using methods search the same corpus the same way.
        name: Display name on the leaderboard.
    """

    def __init__(self, policy: Policy, *, k: int = 3, retriever: _Retriever | None = None, name: str = "Naive RAG"):
        if not isinstance(policy, Policy):
            raise ConfigError(f"expected a Policy (an object with act(histories, tools=, seeds=)), got {policy!r}")
        if k < 1:
            raise ConfigError(f"k must be >= 1, got {k}")
        self.policy, self.k, self.retriever, self.name = policy, k, retriever, name

    def _retriever_of(self, env: gym.Env) -> _Retriever:
        found = self.retriever or getattr(env.unwrapped, "retriever", None)
        if found is None:
            raise ConfigError(f"{type(env.unwrapped).__name__} has no `retriever`; pass NaiveRAG(..., retriever=...)")
        return found

    def play(self, envs: Sequence[gym.Env], tasks: Sequence[TaskSpec]) -> Iterator[tuple[int, PlayedEpisode]]:
        """Answer the tasks, ``len(envs)`` at a time with one batched generation, yielding ``(i, PlayedEpisode)``."""
        if not envs:
            raise ConfigError("need at least one env to play on")
        for start in range(0, len(tasks), len(envs)):
            batch = tasks[start : start + len(envs)]
            for i, played in self._play_batch(envs[: len(batch)], batch):
                yield start + i, played

    def _play_batch(self, envs: Sequence[gym.Env], tasks: Sequence[TaskSpec]) -> Iterator[tuple[int, PlayedEpisode]]:
        prompts, states, titles = [], [], []
        for i, (env, task) in enumerate(zip(envs, tasks, strict=True)):
            state = EpisodeState(i, task.seed, env_id_of(env))
            _, state.reset_info = env.reset(seed=task.seed, options=dict(task.options))
            question = str(state.reset_info.get("question") or env.unwrapped.task.prompt)
            passages = list(self._retriever_of(env).search(question, self.k))
            prompts.append(rag_prompt(question, passages))
            states.append(state)
            titles.append([str(getattr(p, "title", "")) for p in passages])
        seeds = [state.next_seed() for state in states]
        turns = act(self.policy, prompts, tools=None, seeds=seeds)
        for i, (env, state, turn) in enumerate(zip(envs, states, turns, strict=True)):
            answer = extract_short_answer(turn.text)
            action = env.unwrapped.format.render_turn(answer=answer)
            _, reward, terminated, truncated, info = env.step(action)
            info = {**info, "naive_rag": {"generation": turn.text, "passages": titles[i]}}
            # The recorded history is what the model read and wrote, not the env's one-turn transcript.
            messages = (*prompts[i], {"role": "assistant", "content": turn.text})
            state.record(action, (messages, reward, terminated, truncated, info), turn, seeds[i])
            yield i, played_episode(state.episode())
