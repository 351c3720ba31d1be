"""Base Tool Call: a prompted policy acting in the multi-turn env (Agent-R1's untrained tool-using baseline).

The env's own system prompt describes the tools in the env's tool format, and its tool list goes to the policy
as ``tools=`` so a policy with a native tool format (a chat template with tools, an OpenAI-compatible server)
can use it. Episodes of a batch advance in lockstep: one batched ``policy.act`` per turn over the episodes still
running, so a batch's results depend only on which tasks are in it. As in the rollout engine, each turn is
sampled with :func:`~agent_gym.rollout.episode.turn_seed` and recorded in the step's ``info["policy"]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gymnasium as gym
from agent_gym.baselines.method import PlayedEpisode, TaskSpec, make_episode, step_record, turn_tokens

from agent_gym.errors import ConfigError, PolicyError
from agent_gym.rollout.episode import policy_record, turn_seed
from agent_gym.rollout.policy import Policy, PolicyTurn
from agent_gym.types import StepRecord

__all__ = ["BaseToolCall"]


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
            if hasattr(self.policy, "start_episode"):  # episode-aware policies (the oracle) get the reset info
                self.policy.start_episode(tuple(obs), dict(info))
        steps: list[list[StepRecord]] = [[] for _ in tasks]
        turns: list[list[PolicyTurn]] = [[] for _ in tasks]
        active = list(range(len(tasks)))
        while active:
            seeds = {i: turn_seed(tasks[i].seed, len(steps[i]) + 1) for i in active}
            for i, turn in zip(active, self._act(envs, history, seeds, active), strict=True):
                obs, reward, terminated, truncated, info = envs[i].step("" if turn.error else turn.action)
                history[i] = tuple(obs)
                info = {**info, "policy": policy_record(turn, seeds[i])}
                steps[i].append(step_record(turn.action, reward, terminated, truncated, info))
                turns[i].append(turn)
            finished = [i for i in active if steps[i][-1].terminated or steps[i][-1].truncated]
            active = [i for i in active if i not in finished]
            for i in finished:
                if hasattr(self.policy, "end_episode"):
                    self.policy.end_episode(history[i])
                yield i, _played(envs[i], tasks[i], history[i], steps[i], reset_infos[i], turns[i])

    def _act(self, envs, history, seeds, active) -> list[PolicyTurn]:  # noqa: ANN001 - play()'s state
        """One batched policy call for the active episodes; a failing backend becomes error turns."""
        tools = getattr(envs[active[0]].unwrapped, "tool_schemas", None)
        try:
            outputs = list(self.policy.act([history[i] for i in active], tools=tools, seeds=[seeds[i] for i in active]))
        except PolicyError as exc:
            outputs = [PolicyTurn(text="", error=f"PolicyError: {exc}") for _ in active]
        if len(outputs) != len(active):
            raise PolicyError(f"{type(self.policy).__name__}.act returned {len(outputs)} turns for {len(active)} histories")
        return outputs


def _played(env, task, messages, steps, reset_info, turns) -> PlayedEpisode:
    generated, prompt = turn_tokens(turns)
    return PlayedEpisode(
        episode=make_episode(env, task, messages, steps, reset_info),
        generated_tokens=generated,
        prompt_tokens=prompt,
        policy_errors=tuple(t.error for t in turns if t.error),
    )
