"""The run fingerprint names content, not paths: a data file or a checkpoint changed in place starts a new run."""

from agent_gym.benchmarks.leaderboard import LeaderboardConfig


def test_a_data_file_rewritten_in_place_changes_the_fingerprint(tmp_path):
    data = tmp_path / "questions.jsonl"
    data.write_text('{"id": "q1"}\n')
    config = LeaderboardConfig(env_kwargs={"max_turns": 5, "data": str(data)})
    before = config.fingerprint()
    assert LeaderboardConfig(env_kwargs={"max_turns": 5, "data": str(data)}).fingerprint() == before
    data.write_text('{"id": "q2"}\n')
    assert config.fingerprint() != before


def test_a_checkpoint_retrained_into_the_same_folder_changes_the_fingerprint(tmp_path):
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "adapter_config.json").write_text("{}")
    (folder / "adapter_model.safetensors").write_bytes(b"first")
    config = LeaderboardConfig(methods=("base-tool-call",), policies=(str(folder),))
    before = config.fingerprint()
    (folder / "notes.txt").write_text("not a weight: ignored")
    (folder / "card.json").write_text('{"held_out": "scored later"}')  # the card describes, it does not play
    assert config.fingerprint() == before
    (folder / "adapter_model.safetensors").write_bytes(b"second")
    assert config.fingerprint() != before
    assert set(config.file_digests()) == {f"policy.{folder}/adapter_config.json", f"policy.{folder}/adapter_model.safetensors"}
