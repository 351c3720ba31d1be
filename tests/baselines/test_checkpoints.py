"""One rule finds the checkpoint a run resumes from (it was written four ways, which disagreed on odd names)."""

import pytest

from agent_gym.baselines.checkpoints import (
    adapter_snapshots,
    checkpoint_step,
    newest_checkpoint,
    newest_trainer_checkpoint,
    snapshot_adapter,
)


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


def test_each_checkpoints_adapter_is_kept_by_step_and_a_full_model_checkpoint_leaves_none(tmp_path):
    for step in (2, 10):
        checkpoint = tmp_path / f"checkpoint-{step}"
        checkpoint.mkdir()
        (checkpoint / "adapter_config.json").write_text("{}")
        (checkpoint / "adapter_model.safetensors").write_bytes(bytes([step]))
        (checkpoint / "optimizer.pt").write_bytes(b"big")
        assert snapshot_adapter(checkpoint, tmp_path) == tmp_path / "adapters" / f"step-{step}"
    (tmp_path / "checkpoint-11").mkdir()
    (tmp_path / "checkpoint-11" / "model.safetensors").write_bytes(b"full")
    assert snapshot_adapter(tmp_path / "checkpoint-11", tmp_path) is None
    (tmp_path / "adapters" / "step-12.partial").mkdir()  # a copy killed half-way is not a snapshot
    snapshots = adapter_snapshots(tmp_path)
    assert list(snapshots) == [2, 10]  # by step, not by name
    assert (snapshots[10] / "adapter_model.safetensors").read_bytes() == bytes([10])
    assert not (snapshots[10] / "optimizer.pt").exists()
    assert adapter_snapshots(tmp_path / "missing") == {}
