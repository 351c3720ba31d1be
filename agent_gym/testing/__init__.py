"""A testing kit for env authors: fixture envs, scripted policies, adversarial actions.

``agent_gym.testing.strategies`` adds Hypothesis strategies (import it only where hypothesis is installed).
"""

from agent_gym.testing.actions import ADVERSARIAL_ACTIONS, adversarial_actions, schema_calls
from agent_gym.testing.fixtures import ArithmeticEnv
from agent_gym.testing.policies import FunctionPolicy, ScriptedPolicy

__all__ = ["ADVERSARIAL_ACTIONS", "ArithmeticEnv", "FunctionPolicy", "ScriptedPolicy", "adversarial_actions", "schema_calls"]
