"""Base Tool Call: a prompted policy acting in the multi-turn env (Agent-R1's untrained tool-using baseline).

The env's own system prompt describes the tools in the env's tool format, and its tool list goes to the policy
as ``tools=`` so a policy with a native tool format (a chat template with tools, an OpenAI-compatible server)
can use it. Episodes of a batch advance in lockstep: one batched ``policy.act`` per turn over the episodes still
running, so a batch's results depend only on which tasks are in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gymnasium as gym
from agent_gym.baselines.method import PlayedEpisode, TaskSpec, make_episode, step_record, turn_tokens

from agent_gym.errors import ConfigError
from agent_gym.rollout.policy import Policy, PolicyTurn
from agent_gym.types import StepRecord

__all__ = ["BaseToolCall", "turn_seed"]


def turn_seed(task_seed: int, turn: int) -> int:
    """The sampling seed of one turn: distinct per task and turn, independent of batching.

    Example:
        >>> turn_seed(5, 0), turn_seed(5, 1)
        (5, 1000008)
    """
    return (task_seed + 1_000_003 * turn) % 2**31


class BaseToolCall:
    """The policy plays each task in the env until it answers or a limit ends the episode.

    Args:
        policy: Any :class:`~agent_gym.rollout.Policy`.
        name: Display name on the leaderboard.
    """

    def __init__(self, policy: Policy, *, name: str = "Base Tool Call"):
        if not isinstance(policy, Policy):
            raise ConfigError(f"expected a Policy (an object with act(histories, tools=, seeds=)), got {policy!r}")
        self.policy = policy
        self.name = name

    def play(self, envs: Sequence[gym.Env], tasks: Sequence[TaskSpec]) -> Iterator[tuple[int, PlayedEpisode]]:
        """Play ``tasks[i]`` in ``envs[i]``, yielding ``(i, PlayedEpisode)`` as each episode ends."""
        if len(envs) != len(tasks):
            raise ConfigError(f"need one env per task, got {len(envs)} envs and {len(tasks)} tasks")
        history: list[tuple[dict[str, Any], ...]] = []
        reset_infos: list[dict[str, Any]] = []
        for env, task in zip(envs, tasks, strict=True):
            obs, info = env.reset(seed=task.seed, options=dict(task.options))
            history.append(tuple(obs))
            reset_infos.append(info)
        steps: list[list[StepRecord]] = [[] for _ in tasks]
        turns: list[list[PolicyTurn]] = [[] for _ in tasks]
        active = list(range(len(tasks)))
        while active:
            tools = getattr(envs[active[0]].unwrapped, "tool_schemas", None)
            seeds = [turn_seed(tasks[i].seed, len(steps[i])) for i in active]
            outputs = self.policy.act([history[i] for i in active], tools=tools, seeds=seeds)
            if len(outputs) != len(active):
                raise ConfigError(f"the policy returned {len(outputs)} turns for {len(active)} histories")
            still = []
            for i, turn in zip(active, outputs, strict=True):
                obs, reward, terminated, truncated, info = envs[i].step(turn.action)
                history[i] = tuple(obs)
                steps[i].append(step_record(turn.action, reward, terminated, truncated, info))
                turns[i].append(turn)
                if terminated or truncated:
                    yield i, _played(envs[i], tasks[i], history[i], steps[i], reset_infos[i], turns[i])
                else:
                    still.append(i)
            active = still


def _played(env, task, messages, steps, reset_info, turns) -> PlayedEpisode:
    generated, prompt = turn_tokens(turns)
    return PlayedEpisode(
        episode=make_episode(env, task, messages, steps, reset_info),
        generated_tokens=generated,
        prompt_tokens=prompt,
        policy_errors=tuple(t.error for t in turns if t.error),
    )
