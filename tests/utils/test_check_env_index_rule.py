"""check_env's index rule: a warning with a date for envs that do not declare num_tasks, an error for those that do."""

import pytest

from agent_gym import Task, ToolEnv, tool
from agent_gym.errors import EnvCheckError
from agent_gym.rewards import exact_match
from agent_gym.utils.check_env import INDEX_RULE_DEADLINE, check_env

CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Kenya": "Nairobi", "Peru": "Lima"}


@tool
def capital(country: str) -> str:
    """Look up the capital city of a country.

    Args:
        country: The country's English name, e.g. "France".
    """
    return CAPITALS.get(country.strip(), f"I do not know the country {country!r}.")


class WeekOldCapitalsEnv(ToolEnv):
    """docs/tutorials/your-own-env.md as a new user wrote it before the index rule: the index is ignored."""

    default_instructions = "Answer the question. Use the capital tool to look facts up."

    def __init__(self, **kwargs):
        super().__init__([capital], **kwargs)

    def sample_task(self, options):
        country = list(CAPITALS)[self.np_random.integers(len(CAPITALS))]
        self.gold = CAPITALS[country]
        return Task(id=country, prompt=f"What is the capital of {country}?", info={"answer": self.gold})

    def score_answer(self, answer):
        return {"em": exact_match(answer, [self.gold])}


class DeclaredCapitalsEnv(WeekOldCapitalsEnv):
    @property
    def num_tasks(self):
        return len(CAPITALS)


def test_an_env_without_num_tasks_gets_a_dated_warning_not_a_failure():
    with pytest.warns(FutureWarning, match=rf"\[reset_options\].*until {INDEX_RULE_DEADLINE}"):
        check_env(WeekOldCapitalsEnv())


def test_an_env_that_declares_num_tasks_still_fails_the_index_rule():
    with pytest.raises(EnvCheckError, match=r"\[reset_options\]"):
        check_env(DeclaredCapitalsEnv())
