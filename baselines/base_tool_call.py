"""Base Tool Call: a prompted policy acting in the multi-turn env (Agent-R1's untrained tool-using baseline).

The env's own system prompt describes the tools in the env's tool format, and its tool list goes to the policy
as ``tools=`` so a policy with a native tool format (a chat template with tools, an OpenAI-compatible server)
can use it. The episodes run on the rollout engine (:meth:`~agent_gym.rollout.RolloutEngine.stream`), so they
are played, seeded and recorded exactly as ``agent-gym rollout`` plays them: each turn sampled with
:func:`~agent_gym.rollout.episode.turn_seed`, so an episode depends on its task and seed only, not on which
other tasks share the envs; and a policy that batches continuously keeps every env busy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import gymnasium as gym

from agent_gym.baselines.method import PlayedEpisode, TaskSpec, played_episode
from agent_gym.errors import ConfigError
from agent_gym.rollout.engine import RolloutEngine
from agent_gym.rollout.policy import Policy
from agent_gym.rollout.run import BorrowedEnvs

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
        """Play every task on the pool ``envs``, yielding ``(i, PlayedEpisode)`` as ``tasks[i]`` ends."""
        if not envs:
            raise ConfigError("need at least one env to play on")
        if not tasks:
            return
        engine = RolloutEngine(BorrowedEnvs(envs), self.policy, concurrency=len(envs))
        stream = engine.stream([t.seed for t in tasks], options=[dict(t.options) for t in tasks])
        for index, episode in stream:
            yield index, played_episode(episode)
