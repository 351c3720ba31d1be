"""Adapters between agent-gym and other libraries' trainers.

``agent_gym.integrations.trl`` builds TRL 1.16's ``GRPOTrainer(rollout_func=...)`` and
``environment_factory`` from agent-gym envs; it imports trl only when used.
"""

__all__: list[str] = []
