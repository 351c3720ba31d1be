"""Policies, episode runners, batched rollouts and token-level trajectories."""

from agent_gym.rollout.policy import Policy, PolicyTurn
from agent_gym.rollout.trajectory import TokenTrajectory

__all__ = ["Policy", "PolicyTurn", "TokenTrajectory"]
