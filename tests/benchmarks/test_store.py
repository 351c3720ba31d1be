"""The results file keeps every valid episode, repairs torn writes and reports bad lines by number."""

import pytest
from agent_gym.baselines.method import PlayedEpisode
from agent_gym.benchmarks.leaderboard.store import EpisodeRecord, EpisodeStore

from agent_gym.types import Episode


def _record(index: int, run: str = "run1", method: str = "m") -> EpisodeRecord:
    episode = Episode(env_id="E", seed=index, task_id=f"t{index}", messages=({"role": "user", "content": "q"},), steps=())
    return EpisodeRecord(
        run=run, method=method, dataset="d", index=index, batch=0, elapsed_s=0.5, played=PlayedEpisode(episode=episode)
    )


def test_appended_episodes_read_back_equal(tmp_path):
    store = EpisodeStore(tmp_path / "e.jsonl", "run1")
    for i in range(3):
        store.append(_record(i))
    store.append(_record(1))  # already stored: not written twice
    again = EpisodeStore(tmp_path / "e.jsonl", "run1")
    assert again.records == store.records and len(again) == 3 and again.problems == []
    assert (tmp_path / "e.jsonl").read_text().count("\n") == 3


def test_a_write_torn_at_any_byte_is_cut_and_the_store_stays_appendable(tmp_path):
    path = tmp_path / "e.jsonl"
    store = EpisodeStore(path, "run1")
    store.append(_record(0))
    whole = path.read_bytes()
    line = (_record(1).model_dump_json() + "\n").encode()
    for cut in range(0, len(line) - 1, 7):
        path.write_bytes(whole + line[:cut])
        store = EpisodeStore(path, "run1")
        assert list(store.records) == [("m", "d", 0)]
        assert [p.line for p in store.problems] == ([2] if cut else [])
        assert path.read_bytes() == whole
    store.append(_record(1))
    assert len(EpisodeStore(path, "run1")) == 2


def test_corrupt_lines_are_reported_by_number_and_valid_episodes_kept(tmp_path):
    path = tmp_path / "e.jsonl"
    good = [_record(i).model_dump_json() for i in range(3)]
    foreign = _record(7, run="other").model_dump_json()
    path.write_text("\n".join([good[0], "{not json", good[1], '{"run": "run1"}', good[0], foreign, good[2]]) + "\n")
    store = EpisodeStore(path, "run1")
    assert sorted(store.records) == [("m", "d", 0), ("m", "d", 1), ("m", "d", 2)]
    problems = {p.line: p.reason for p in store.problems}
    assert sorted(problems) == [2, 4, 5, 6]
    assert "not a valid episode record" in problems[2] and "will run again" in problems[2]
    assert "method: Field required" in problems[4]
    assert problems[5].startswith("duplicate of line 1")
    assert "belongs to run other" in problems[6]
    assert str(store.problems[0]).startswith("line 2: ")


@pytest.mark.parametrize("content", [b"", b"\n\n"])
def test_empty_files_are_fine(tmp_path, content):
    (tmp_path / "e.jsonl").write_bytes(content)
    store = EpisodeStore(tmp_path / "e.jsonl", "run1")
    assert len(store) == 0 and store.problems == []
