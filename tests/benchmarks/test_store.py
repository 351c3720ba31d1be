"""The results file keeps every valid episode, repairs torn writes, reports bad lines by number, stores any text
(lone surrogates replaced and counted) and leaves the file as it was when the disk is full."""

import json

import pytest

from agent_gym.baselines.method import PlayedEpisode
from agent_gym.benchmarks.leaderboard.store import EpisodeRecord, EpisodeStore
from agent_gym.errors import ResultsError
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


def _with_text(index: int, text: str, info_key: str = "note") -> EpisodeRecord:
    record = _record(index)
    episode = record.played.episode.model_copy(
        update={"messages": ({"role": "assistant", "content": text},), "reset_info": {info_key: text}}
    )
    return record.model_copy(update={"played": PlayedEpisode(episode=episode)})


def test_lone_surrogates_are_replaced_counted_and_read_back_as_stored(tmp_path):
    path = tmp_path / "e.jsonl"
    store = EpisodeStore(path, "run1")
    stored = store.append(_with_text(0, "a \ud800 b \udfff", info_key="k\udc80"))
    store.append(_with_text(1, "pair \ud83d\ude00 kept"))
    assert stored.replaced_surrogates == 5  # two in the message, two in the info value, one in its key
    assert stored.played.episode.messages[0]["content"] == "a \ufffd b \ufffd"
    assert stored.played.episode.reset_info == {"k\ufffd": "a \ufffd b \ufffd"}
    assert store.records[("m", "d", 1)].played.episode.messages[0]["content"] == "pair 😀 kept"
    assert store.records[("m", "d", 1)].replaced_surrogates == 0
    path.read_bytes().decode("utf-8")  # strict: the file is valid UTF-8
    again = EpisodeStore(path, "run1")
    assert again.records == store.records and again.problems == []


def test_an_old_line_without_the_replacement_count_still_reads(tmp_path):
    line = _record(0).model_dump(mode="json")
    del line["replaced_surrogates"]
    (tmp_path / "e.jsonl").write_text(json.dumps(line) + "\n")
    assert EpisodeStore(tmp_path / "e.jsonl", "run1").records[("m", "d", 0)] == _record(0)


def test_a_full_disk_mid_line_leaves_the_file_as_it_was(tmp_path, fail_writes):
    path = tmp_path / "e.jsonl"
    store = EpisodeStore(path, "run1")
    store.append(_record(0))
    before = path.read_bytes()
    calls = fail_writes("e.jsonl")
    with pytest.raises(ResultsError) as caught:
        store.append(_record(1))
    assert str(caught.value) == (
        f"no space left on the disk of {path}; free some space and run the same command again: it resumes, "
        "and everything stored so far is kept"
    )
    assert len(calls) == 2, "half the line was written before the disk filled up"
    assert path.read_bytes() == before and ("m", "d", 1) not in store
    fail_writes.undo()
    store.append(_record(1))
    assert len(EpisodeStore(path, "run1")) == 2


def test_a_directory_in_place_of_the_results_file_is_named_and_kept(tmp_path):
    (tmp_path / "e.jsonl").mkdir()
    (tmp_path / "e.jsonl" / "mine.txt").write_text("keep me")
    with pytest.raises(ResultsError) as caught:
        EpisodeStore(tmp_path / "e.jsonl", "run1")
    path = tmp_path / "e.jsonl"
    assert str(caught.value) == (
        f"{path} is a directory, not a file; move it out of the way (e.g. mv {path} {path}.moved) and run the same command again"
    )
    assert (tmp_path / "e.jsonl" / "mine.txt").read_text() == "keep me"
