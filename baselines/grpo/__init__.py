"""GRPO through TRL 1.16, on agent-gym rollouts (see ``agent_gym.integrations.trl``)."""

__all__: list[str] = []
