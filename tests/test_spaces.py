"""FreeText, History and AssistantTurn: samples are members; membership rejects what is not text, a history or a turn."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_gym.spaces import AssistantTurn, FreeText, History


@given(seed=st.integers(0, 2**31 - 1))
def test_samples_are_members(seed):
    text, history = FreeText(max_length=64, seed=seed), History(max_messages=5, seed=seed)
    assert text.sample() in text
    assert history.sample() in history


def test_sampling_is_seeded():
    assert FreeText(seed=3).sample() == FreeText(seed=3).sample()
    assert History(seed=3).sample() == History(seed=3).sample()


@given(text=st.text())
def test_any_unicode_string_within_the_bound_is_free_text(text):
    assert FreeText(max_length=10_000).contains(text)


@pytest.mark.parametrize("value", [None, 3, b"bytes", "x" * 11])
def test_free_text_rejects(value):
    assert not FreeText(max_length=10).contains(value)


@pytest.mark.parametrize(
    "value",
    [
        [{"role": "user", "content": "a list, not a tuple"}],
        (),
        ({"role": "robot", "content": "x"},),
        ({"role": "user"},),
        ({"role": "user", "content": "x", "extra": 1},),
        ({"role": "assistant", "content": "", "tool_calls": "not a list"},),
        ({"role": "tool", "content": "", "tool_call_id": 5},),
    ],
)
def test_history_rejects(value):
    assert not History().contains(value)


def test_history_accepts_tool_messages():
    assert History().contains(
        (
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "tool", "content": "r", "tool_call_id": "c", "name": "f"},
        )
    )


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="min_length <= max_length"):
        FreeText(max_length=1, min_length=2)


@given(st.one_of(st.text(max_size=3000), st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)))
def test_the_action_space_holds_every_action_step_accepts(action):
    import gymnasium as gym

    env = gym.make("KeyValueLookup-v0", max_action_chars=16)
    env.reset(seed=0)
    env.step(action)  # any str (cut past max_action_chars) or mapping is taken
    assert env.action_space.contains(action)


@pytest.mark.parametrize("action", [b"bytes", None, 3, ["a"], ("a",)])
def test_the_action_space_rejects_what_step_refuses(action):
    import gymnasium as gym

    from agent_gym.errors import InvalidActionError

    env = gym.make("KeyValueLookup-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError):
        env.step(action)
    assert not env.action_space.contains(action)


def test_action_samples_are_members_and_reproducible():
    space = AssistantTurn(max_length=32, seed=5)
    samples = [space.sample() for _ in range(50)]
    assert all(space.contains(s) for s in samples) and {type(s) for s in samples} == {str, dict}
    assert AssistantTurn(max_length=32, seed=5).sample() == samples[0]
