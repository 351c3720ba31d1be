"""Shared test settings: deterministic Hypothesis runs, no deadline (2 shared cores make timings noisy)."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "agent_gym", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile("agent_gym")
