"""Utilities for env authors: the contract checker."""

from agent_gym.utils.check_env import check_env

__all__ = ["check_env"]
