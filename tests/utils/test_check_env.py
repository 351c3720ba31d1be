"""check_env checks each property on its own and catches each kind of violation (a checker that cannot fail is
worthless)."""

import random

import pytest

from agent_gym.errors import EnvCheckError
from agent_gym.spaces import FreeText
from agent_gym.testing import ArithmeticEnv
from agent_gym.utils import check_env
from agent_gym.utils.check_env import PROPERTIES


class NotASpace(ArithmeticEnv):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_space = "any text"


class ObservationOnly(ArithmeticEnv):
    def reset(self, *, seed=None, options=None):
        return super().reset(seed=seed, options=options)[0]


class Rewriting(ArithmeticEnv):
    def step(self, action):
        obs, *rest = super().step(action)
        self._messages[0] = {"role": "system", "content": "rewritten"}
        return (self._observation(), *rest)


class UnseededReset(ArithmeticEnv):
    def sample_task(self, options):
        return super().sample_task({"operands": [random.randint(0, 10**9), 1]})


class UnseededStep(ArithmeticEnv):
    def step_info(self):
        return {"draw": random.random()}


class IgnoresIndex(ArithmeticEnv):
    """The broken reset(options=...): the task comes from the seed whatever the index."""

    num_tasks = 10  # declared, so the index rule is an error (undeclared: a dated warning)

    def sample_task(self, options):
        return super().sample_task({key: value for key, value in options.items() if key != "index"})


class OneTask(ArithmeticEnv):
    """Another broken reset(options=...): every index gives the same task."""

    num_tasks = 10  # declared, so the index rule is an error (undeclared: a dated warning)

    def sample_task(self, options):
        return super().sample_task({"operands": [1, 1]})


class RefusesIndex(ArithmeticEnv):
    num_tasks = 10  # declared, so the index rule is an error (undeclared: a dated warning)

    def sample_task(self, options):
        if "index" in options:
            raise KeyError("index")
        return super().sample_task(options)


class NarrowActionSpace(ArithmeticEnv):
    """The action space of old: it rejects message dicts and long turns, which step accepts."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_space = FreeText(max_length=self.max_action_chars)


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


VIOLATIONS = [
    (NotASpace, "[spaces] action_space must be a gymnasium Space"),
    (ObservationOnly, "[reset] observation must be a tuple of message dicts, got dict"),  # (system, user) read as (obs, info)
    (UnseededReset, "[reset_seed_determinism] reset(seed=0) twice gave different observations"),
    (IgnoresIndex, "[reset_options] reset(options={'index': 0}) gave different tasks under seed=0 and seed=1"),
    (OneTask, "[reset_options] reset(options={'index': i}) gave one task for every i in [0, 1, 2]"),
    (RefusesIndex, "[reset_options] reset(seed=0, options={'index': 0}) raised KeyError"),
    (Rewriting, "[step_contract] observation after action 0 does not extend the previous one"),
    (Misreported, "[step_contract] reward"),
    (Crashing, "[step_contract] step raised RuntimeError: boom"),
    (Unserialisable, "[step_contract] step info after action 0 is not JSON-serialisable"),
    (NarrowActionSpace, "[action_space] FreeText(max_length=8192) does not contain action"),
    (UnseededStep, "[step_determinism] transition 1 differs between two runs with seed=0"),
    (BadClose, "[close] close() must be idempotent"),
]


@pytest.mark.parametrize(("env_cls", "message"), VIOLATIONS)
def test_each_violation_is_caught_by_its_own_check(env_cls, message):
    with pytest.raises(EnvCheckError) as caught:
        check_env(env_cls(reward="process"))
    assert str(caught.value).startswith(message)


def test_every_property_has_a_failing_fixture_above():
    names = [name for name, _ in PROPERTIES]
    assert {message[1 : message.index("]")] for _, message in VIOLATIONS} == set(names)
    assert names == [
        "spaces",
        "reset",
        "reset_seed_determinism",
        "reset_options",
        "step_contract",
        "action_space",
        "step_determinism",
        "close",
    ]


def test_a_correct_env_passes_with_heavy_noise():
    check_env(ArithmeticEnv(reward="process", noise="heavy"))
