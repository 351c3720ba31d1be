"""KeyValueLookup-v0: a seed or an index names one task for good (recorded results depend on it)."""

import gymnasium as gym

import agent_gym  # noqa: F401 - registers the envs


def test_seeded_and_indexed_tasks_are_pinned():
    env = gym.make("KeyValueLookup-v0").unwrapped
    _, info = env.reset(seed=0)
    assert (info["chain"], info["answer"]) == (["danove-34", "rukaka-11"], "amber")
    assert env._table["zupida-25"] == "ember" and len(env._table) == 8
    _, info = env.reset(options={"index": 900000})  # the first held-out task of docs/results.md
    assert (info["chain"], info["answer"]) == (["takafe-33", "mipita-61"], "cobalt")
    assert sorted(env._table)[:2] == ["feseka-62", "mipita-61"] and env._table["senove-83"] == "juniper"
