"""check_env catches each kind of contract violation (a checker that cannot fail is worthless)."""

import random

import pytest

from agent_gym.errors import EnvCheckError
from agent_gym.testing import ArithmeticEnv
from agent_gym.utils import check_env


class Rewriting(ArithmeticEnv):
    def step(self, action):
        obs, *rest = super().step(action)
        self._messages[0] = {"role": "system", "content": "rewritten"}
        return (self._observation(), *rest)


class Unseeded(ArithmeticEnv):
    def sample_task(self, options):
        return super().sample_task({"operands": [random.randint(0, 10**9), 1]})


class Misreported(ArithmeticEnv):
    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        return obs, reward + 1.0, terminated, truncated, info


class Crashing(ArithmeticEnv):
    def step(self, action):
        if "[" in str(action):
            raise RuntimeError("boom")
        return super().step(action)


class Unserialisable(ArithmeticEnv):
    def step_info(self):
        return {"handle": object()}


class BadClose(ArithmeticEnv):
    def close(self):
        if getattr(self, "_closed_once", False):
            raise RuntimeError("already closed")
        self._closed_once = True


@pytest.mark.parametrize(
    ("env_cls", "message"),
    [
        (Rewriting, "does not extend the previous one"),
        (Unseeded, "not deterministic"),
        (Misreported, "!= sum of components"),
        (Crashing, "step raised RuntimeError: boom"),
        (Unserialisable, "not JSON-serialisable"),
        (BadClose, "close() must be idempotent"),
    ],
)
def test_violations_are_caught(env_cls, message):
    with pytest.raises(EnvCheckError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_env(env_cls(reward="process"))


def test_a_correct_env_passes_with_heavy_noise():
    check_env(ArithmeticEnv(reward="process", noise="heavy"))
