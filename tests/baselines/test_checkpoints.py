"""One rule finds the checkpoint a run resumes from (it was written four ways, which disagreed on odd names)."""

import pytest
from agent_gym.baselines.checkpoints import checkpoint_step, newest_checkpoint, newest_trainer_checkpoint


@pytest.mark.parametrize(
    ("name", "step"),
    [
        ("checkpoint-12", 12),
        ("runs/x/checkpoint-0", 0),
        ("checkpoint-12.partial", None),
        ("checkpoint-", None),
        ("checkpoint-abc", None),
        ("checkpoint--3", None),
        ("final", None),
    ],
)
def test_the_step_is_read_from_the_name_or_not_at_all(name, step):
    assert checkpoint_step(name) == step


def test_the_newest_complete_checkpoint_is_the_highest_step_not_the_last_name(tmp_path):
    for name in ("checkpoint-9", "checkpoint-10", "checkpoint-11", "checkpoint-12.partial"):
        (tmp_path / name).mkdir()
    for name in ("checkpoint-9", "checkpoint-10", "checkpoint-12.partial"):
        (tmp_path / name / "trainer_state.json").write_text("{}")
    assert newest_checkpoint(tmp_path, "trainer_state.json") == tmp_path / "checkpoint-10"  # 11 is incomplete
    assert newest_trainer_checkpoint(tmp_path) == str(tmp_path / "checkpoint-10")
    assert newest_trainer_checkpoint(tmp_path / "missing") is None
