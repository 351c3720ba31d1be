"""Policies, episode runners, batched rollouts and token-level trajectories."""

from agent_gym.rollout.policy import Policy, PolicyTurn

__all__ = ["Policy", "PolicyTurn"]
