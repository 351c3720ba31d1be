"""Task identity: training walks the train split in seeded epochs, any seed and step count work, dev is refused."""

import gymnasium as gym
import pytest

import agent_gym  # noqa: F401
from agent_gym.baselines.grpo.config import PRESETS
from agent_gym.envs.qa.bundled import load_bundled
from agent_gym.errors import ConfigError
from agent_gym.rollout.tasks import TaskPlan, TaskRef, sampling_seed

TRAIN_SIZE = 200 + 500 + 100  # bundled train records: HotpotQA, 2Wiki, MuSiQue


@pytest.fixture(scope="module")
def plan():
    return TaskPlan.for_env("MultiHopQA-v0")


def test_training_reads_the_train_split_by_default(plan):
    assert (plan.split, plan.size, plan.env_kwargs) == ("train", TRAIN_SIZE, {"split": "train"})


def test_every_epoch_is_a_seeded_permutation_of_the_split(plan):
    first, second = plan.tasks(0, TRAIN_SIZE), plan.tasks(TRAIN_SIZE, TRAIN_SIZE)
    assert sorted(first) == sorted(second) == list(range(TRAIN_SIZE))
    assert first != second != list(range(TRAIN_SIZE))
    assert plan.tasks(0, 10) == TaskPlan.for_env("MultiHopQA-v0").tasks(0, 10)  # same seed, same walk
    assert plan.tasks(0, 10) != TaskPlan.for_env("MultiHopQA-v0", seed=1).tasks(0, 10)


@pytest.mark.parametrize("seed", [0, 1, 3, 2**40])
def test_any_seed_and_any_step_give_tasks_inside_the_split(seed):
    plan = TaskPlan.for_env("MultiHopQA-v0", seed=seed)
    assert all(0 <= t < TRAIN_SIZE for t in plan.step_tasks(10_000, 8))


def test_the_gpu_recipe_task_plan_fits_the_train_split(plan):
    recipe = PRESETS["gpu-agent-r1"]
    walk = plan.tasks(0, recipe.steps * recipe.prompts_per_step)  # 200 steps x 128 tasks: 32 epochs of 800
    assert len(walk) == 25_600 and set(walk) == set(range(TRAIN_SIZE))
    for epoch in range(len(walk) // TRAIN_SIZE):
        assert sorted(walk[epoch * TRAIN_SIZE : (epoch + 1) * TRAIN_SIZE]) == list(range(TRAIN_SIZE))


def test_no_dev_question_reaches_training_by_default(plan):
    dev = {r.question for name in ("hotpotqa", "2wikimultihopqa", "musique") for r in load_bundled(name, "dev")}
    env = gym.make(plan.env_id, **plan.env_kwargs)
    for index in sorted(set(plan.tasks(0, 2 * TRAIN_SIZE))):
        _, info = env.reset(options=plan.ref(index).reset_options())
        assert info["split"] == "train" and info["question"] not in dev


@pytest.mark.parametrize(
    ("kwargs", "split"),
    [({}, "dev"), ({"split": "dev"}, None), ({"dataset": "musique"}, "dev")],
    ids=["split-argument", "env-argument", "one-dataset"],
)
def test_the_dev_split_is_refused_unless_asked_for(kwargs, split):
    with pytest.raises(ConfigError, match="training on the 'dev' split of MultiHopQA-v0 is refused: the leaderboard scores it"):
        TaskPlan.for_env("MultiHopQA-v0", kwargs, split=split)
    allowed = TaskPlan.for_env("MultiHopQA-v0", kwargs, split=split, allow_dev=True)
    assert allowed.split == "dev" and allowed.env_kwargs["split"] == "dev"


def test_unknown_and_contradictory_splits_are_refused():
    with pytest.raises(ConfigError, match="has the splits"):
        TaskPlan.for_env("MultiHopQA-v0", split="validation")
    with pytest.raises(ConfigError, match="contradicts"):
        TaskPlan.for_env("MultiHopQA-v0", {"split": "train"}, split="dev")


def test_an_env_without_splits_walks_its_indices():
    plan = TaskPlan.for_env("KeyValueLookup-v0", {"hops": 1})
    assert (plan.split, plan.size, plan.tasks(5, 3)) == (None, None, [5, 6, 7])
    with pytest.raises(ConfigError, match="has no splits"):
        TaskPlan.for_env("KeyValueLookup-v0", split="dev")


def test_sampling_seeds_differ_per_step_and_slot():
    seeds = [sampling_seed(0, step, slot) for step in range(4) for slot in range(8)]
    assert len(set(seeds)) == len(seeds)
    assert TaskRef(env_id="MultiHopQA-v0", split="train", index=3).reset_options() == {"index": 3}


def test_the_holdout_slice_is_fixed_across_seeds_and_never_walked():
    plans = [TaskPlan.for_env("MultiHopQA-v0", seed=seed, holdout=32) for seed in (0, 1)]
    held = plans[0].holdout_tasks()
    assert len(held) == 32 and held == plans[1].holdout_tasks()
    for plan in plans:
        walk = plan.tasks(0, 3 * (TRAIN_SIZE - 32))
        assert not set(walk) & set(held) and set(walk) | set(held) == set(range(TRAIN_SIZE))
    with pytest.raises(ConfigError, match="not more than the 900 held out"):
        TaskPlan.for_env("MultiHopQA-v0", holdout=900)
