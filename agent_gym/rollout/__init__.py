"""Policies, episode runners, batched rollouts and token-level trajectories.

* :class:`Policy` / :class:`PolicyTurn`: the protocol every policy implements (``agent_gym.baselines.policies``
  has the built-in ones); :class:`EpisodeAware`: optional per-episode hooks.
* :func:`rollout` / :class:`RolloutEngine` / :func:`run_episode`: run episodes, batched and concurrent, seeded
  per episode, streamed to JSONL (:func:`read_episodes` reads them back).
* :func:`build_trajectory` / :class:`TokenTrajectory` / :func:`turn_samples`: episodes as the token tensors a
  trainer consumes, rendered by a :class:`ChatTokenizer`.
"""

from agent_gym.rollout.builder import TurnSample, build_trajectory, turn_samples
from agent_gym.rollout.chat_tokens import ChatTokenizer, truncate_prompt
from agent_gym.rollout.engine import RolloutEngine, RolloutStats
from agent_gym.rollout.episode import turn_seed
from agent_gym.rollout.jsonl import EpisodeWriter, read_episodes
from agent_gym.rollout.policy import EpisodeAware, EpisodeId, Policy, PolicyTurn, episode_key, new_episode_id
from agent_gym.rollout.run import rollout, run_episode
from agent_gym.rollout.trajectory import TokenTrajectory

__all__ = [
    "ChatTokenizer",
    "EpisodeAware",
    "EpisodeId",
    "EpisodeWriter",
    "Policy",
    "PolicyTurn",
    "RolloutEngine",
    "RolloutStats",
    "TokenTrajectory",
    "TurnSample",
    "build_trajectory",
    "episode_key",
    "new_episode_id",
    "read_episodes",
    "rollout",
    "run_episode",
    "truncate_prompt",
    "turn_samples",
    "turn_seed",
]
