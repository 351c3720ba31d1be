"""SFT data: a teacher plays episodes in the env itself, and they become token rows with the loss mask.

The teacher is a text policy (by default :class:`~agent_gym.baselines.policies.oracle.OraclePolicy` with
``question_first=True``). :class:`TeacherTokens` gives each of its turns the token ids the student would have
to generate (the turn's text, then the chat template's end-of-turn token), so the rollout engine and the
trajectory builder treat the teacher like a token-aware policy: the rows are laid out exactly as the student's
own rollouts will be (opening, then per turn the turn's ids with loss mask 1 and the env's template delta with
loss mask 0), and SFT trains on the teacher's tokens only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent_gym.errors import ConfigError
from agent_gym.rollout.chat_tokens import ChatTokenizer
from agent_gym.rollout.policy import EpisodeAware, EpisodeId, Policy, PolicyTurn
from agent_gym.rollout.tasks import TaskPlan

__all__ = ["TeacherTokens", "collect_teacher_rows"]


class TeacherTokens:
    """A text policy whose turns carry the token ids a student would generate for them.

    Args:
        teacher: The text policy (its ``start_episode``/``end_episode`` hooks are forwarded).
        tokenizer: The student's tokenizer, with its chat template.
    """

    def __init__(self, teacher: Policy, tokenizer: Any):
        self.teacher = teacher
        self.chat = ChatTokenizer(tokenizer)
        end = tokenizer.convert_tokens_to_ids("<|im_end|>") if hasattr(tokenizer, "convert_tokens_to_ids") else None
        end = end if isinstance(end, int) and end != getattr(tokenizer, "unk_token_id", None) else tokenizer.eos_token_id
        if not isinstance(end, int):
            raise ConfigError("the tokenizer has no end-of-turn token; a chat model's tokenizer is needed")
        self.end_of_turn = end

    def start_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...], info: dict[str, Any]) -> None:
        if isinstance(self.teacher, EpisodeAware):
            self.teacher.start_episode(episode, history, info)

    def end_episode(self, episode: EpisodeId, history: tuple[dict[str, Any], ...]) -> None:
        if isinstance(self.teacher, EpisodeAware):
            self.teacher.end_episode(episode, history)

    def act(
        self,
        histories: Sequence[tuple[dict[str, Any], ...]],
        *,
        tools: Sequence[dict[str, Any]] | None = None,
        seeds: Sequence[int] | None = None,
        episodes: Sequence[EpisodeId] | None = None,
    ) -> list[PolicyTurn]:
        if isinstance(self.teacher, EpisodeAware):
            turns = self.teacher.act(histories, tools=tools, seeds=seeds, episodes=episodes)
        else:
            turns = self.teacher.act(histories, tools=tools, seeds=seeds)
        out = []
        for turn in turns:
            if turn.error is not None or turn.message is not None:
                out.append(turn)  # errors and native calls have no student tokens; the builder refuses them
                continue
            ids = (*self.chat.encode(turn.text), self.end_of_turn)
            out.append(turn.model_copy(update={"token_ids": ids, "logprobs": (0.0,) * len(ids)}))
        return out


def collect_teacher_rows(
    plan: TaskPlan,
    tokenizer: Any,
    tasks: Sequence[int],
    *,
    teacher: Policy | None = None,
    max_length: int = 2048,
    min_em: float | None = None,
    keep: Callable[[Any], bool] | None = None,
    concurrency: int = 8,
) -> tuple[list[dict[str, list[int]]], list[Any]]:
    """Teacher episodes of ``tasks`` as SFT rows ``{"input_ids", "completion_mask"}``, and the episodes.

    Args:
        plan: The env and split the episodes are played in (the train split: the plan refuses dev by default).
        tokenizer: The student's tokenizer.
        tasks: Task indices of the plan's split, one episode each.
        teacher: A text policy; default the question-first oracle.
        max_length: Rows are cut to this many tokens (the head is kept: the opening and the first turns).
        min_em: Keep only episodes whose final answer scores at least this exact match (None keeps all).
        keep: Keep only the episodes this predicate accepts (e.g. :func:`~agent_gym.baselines.policies.teacher.learnable`).
        concurrency: Env instances stepping at once.
    """
    from agent_gym.baselines.policies.oracle import OraclePolicy
    from agent_gym.rollout import build_trajectory
    from agent_gym.rollout.engine import RolloutEngine

    policy = TeacherTokens(teacher or OraclePolicy(question_first=True), tokenizer)
    engine = RolloutEngine(plan.make_env, policy, concurrency=concurrency)
    episodes = engine.run(list(range(len(tasks))), options=[plan.ref(int(t)).reset_options() for t in tasks])
    if min_em is not None:
        episodes = [e for e in episodes if e.metrics.get("em", 0.0) >= min_em]
    if keep is not None:
        episodes = [e for e in episodes if keep(e)]
    rows = []
    for episode in episodes:
        trajectory = build_trajectory(episode, policy.chat)
        ids = list(trajectory.prompt_ids) + list(trajectory.completion_ids)
        mask = [0] * len(trajectory.prompt_ids) + list(trajectory.loss_mask)
        rows.append({"input_ids": ids[:max_length], "completion_mask": mask[:max_length]})
    return rows, episodes
