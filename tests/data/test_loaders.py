"""QA record loaders: uniform JSONL, official raw formats, Hugging Face ``datasets``; broken files name file, line, field."""

import gzip
import json

import pytest

from agent_gym.data import QARecord, load_hf, load_jsonl, load_raw, load_records, write_jsonl
from agent_gym.envs.qa.bundled import load_bundled
from agent_gym.errors import ConfigError, DataError


def _hotpot_raw(record: QARecord) -> dict:
    """The official HotpotQA form of a bundled record (context = [[title, sentences]])."""
    return {
        "_id": record.id,
        "question": record.question,
        "answer": record.answer,
        "type": record.type,
        "level": record.extra.get("level", "hard"),
        "supporting_facts": [list(f) for f in record.supporting_facts],
        "context": [[p.title, list(p.sentences)] for p in record.paragraphs],
    }


def _musique_raw(record: QARecord) -> dict:
    return {
        "id": record.id,
        "question": record.question,
        "answer": record.answer,
        "answer_aliases": list(record.answer_aliases),
        "answerable": True,
        "question_decomposition": list(record.decomposition or []),
        "paragraphs": [
            {"idx": i, "title": p.title, "paragraph_text": p.text, "is_supporting": p.is_supporting}
            for i, p in enumerate(record.paragraphs)
        ],
    }


@pytest.fixture(scope="module")
def hotpot():
    return [r for r in load_bundled("hotpotqa", "dev") if r.supporting_facts][:5]


def test_bundled_files_load_with_their_documented_sizes():
    sizes = {(d, s): len(load_bundled(d, s)) for d in ("hotpotqa", "2wikimultihopqa", "musique") for s in ("dev", "train")}
    assert sizes == {
        ("hotpotqa", "dev"): 865,
        ("hotpotqa", "train"): 200,
        ("2wikimultihopqa", "dev"): 657,
        ("2wikimultihopqa", "train"): 500,
        ("musique", "dev"): 292,
        ("musique", "train"): 100,
    }
    first = load_bundled("hotpotqa", "dev")[0]
    assert first.question == "Were Scott Derrickson and Ed Wood of the same nationality?"
    assert first.supporting_titles == ("Scott Derrickson", "Ed Wood") and first.answers == ("yes",)


def test_uniform_jsonl_round_trips(tmp_path, hotpot):
    for name in ("r.jsonl", "r.jsonl.gz"):
        path = write_jsonl(hotpot, tmp_path / name)
        assert load_jsonl(path) == hotpot
        assert load_records(path) == hotpot


def test_official_hotpotqa_json_list_matches_the_bundled_records(tmp_path, hotpot):
    path = tmp_path / "hotpot_dev_distractor_v1.json"
    path.write_text(json.dumps([_hotpot_raw(r) for r in hotpot], indent=1))
    loaded = load_raw(path, "hotpotqa")
    for got, want in zip(loaded, hotpot, strict=True):
        assert (got.id, got.question, got.answer, got.type) == (want.id, want.question, want.answer, want.type)
        assert got.paragraphs == want.paragraphs and got.supporting_titles == want.supporting_titles


def test_official_2wiki_and_musique_files(tmp_path):
    wiki = [r for r in load_bundled("2wikimultihopqa", "dev")][:3]
    raw = [{**_hotpot_raw(r), "evidences": r.extra["evidences"]} for r in wiki]
    raw[0].pop("level")
    (tmp_path / "dev.json").write_text(json.dumps(raw))
    loaded = load_raw(tmp_path / "dev.json", "2wikimultihopqa")
    assert [p.text for p in loaded[0].paragraphs] == [p.text for p in wiki[0].paragraphs]
    assert loaded[0].extra["evidences"] == wiki[0].extra["evidences"]

    musique = load_bundled("musique", "dev")[:3]
    path = tmp_path / "musique_ans_v1.0_dev.jsonl"
    path.write_text("".join(json.dumps(_musique_raw(r)) + "\n" for r in musique))
    loaded = load_records(path, format="musique")
    assert [(r.id, r.type, r.answers, r.supporting_titles) for r in loaded] == [
        (r.id, r.type, r.answers, r.supporting_titles) for r in musique
    ]
    assert loaded[0].decomposition == musique[0].decomposition


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": "q1", "question": "Q?", "answer": "A"}\n{"id": "q2", "question": "Q?", "answer": 3}\n',
            "line 2, field 'answer'",
        ),
        ('{"id": "q1", "question": "Q?", "answer": "A"}\n\n{"id": "q2", "question": "Q?"\n', "line 3: not valid JSON"),
        ('{"id": "q1", "question": "Q?", "answer": "A", "paragraphs": [{"title": "T"}]}\n', "line 1, field 'paragraphs.0.text'"),
        ('{"id": "", "question": "Q?", "answer": "A"}\n', "line 1, field 'id'"),
    ],
)
def test_broken_uniform_files_name_file_line_and_field(tmp_path, content, message):
    path = tmp_path / "broken.jsonl"
    path.write_text(content)
    with pytest.raises(DataError) as err:
        load_jsonl(path)
    assert str(err.value).startswith(f"{path}, {message}")


def test_broken_raw_files_name_the_line_of_the_record(tmp_path, hotpot):
    records = [_hotpot_raw(r) for r in hotpot[:3]]
    del records[2]["context"]
    path = tmp_path / "hotpot.json"
    path.write_text(json.dumps(records, indent=1))
    line = [i + 1 for i, text in enumerate(path.read_text().splitlines()) if text == " {"][2]  # the third record
    with pytest.raises(DataError, match=rf"hotpot.json, line {line}, field 'context': missing"):
        load_raw(path, "hotpotqa")
    path.write_text(json.dumps(records[:2])[:-40])  # truncated list
    with pytest.raises(DataError, match="hotpot.json, line 1: not valid JSON"):
        load_raw(path, "hotpotqa")


def test_missing_corrupt_and_unknown_inputs(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_jsonl(tmp_path / "absent.jsonl")
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="bad.jsonl.gz: cannot read it"):
        load_jsonl(tmp_path / "bad.jsonl.gz")
    (tmp_path / "latin1.jsonl").write_bytes('{"id": "é"}'.encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_jsonl(tmp_path / "latin1.jsonl")
    with pytest.raises(ConfigError, match="unknown record format 'squad'"):
        load_records(tmp_path / "x.jsonl", format="squad")


def test_hugging_face_load_dataset_on_local_files(tmp_path, hotpot):
    # The hub copy of HotpotQA stores context and supporting facts as dicts of lists.
    rows = [
        {
            "id": r.id,
            "question": r.question,
            "answer": r.answer,
            "type": r.type,
            "level": "hard",
            "supporting_facts": {"title": [t for t, _ in r.supporting_facts], "sent_id": [i for _, i in r.supporting_facts]},
            "context": {"title": [p.title for p in r.paragraphs], "sentences": [list(p.sentences) for p in r.paragraphs]},
        }
        for r in hotpot
    ]
    path = tmp_path / "hotpot_hub.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    loaded = load_hf("hotpotqa", "train", path="json", data_files=str(path), cache_dir=str(tmp_path / "hf"))
    assert [r.paragraphs for r in loaded] == [r.paragraphs for r in hotpot]
    assert [r.supporting_facts for r in loaded] == [r.supporting_facts for r in hotpot]

    musique = load_bundled("musique", "train")[:4]
    mpath = tmp_path / "musique_ans_v1.0_train.jsonl.gz"
    with gzip.open(mpath, "wt") as handle:
        handle.writelines(json.dumps(_musique_raw(r)) + "\n" for r in musique)
    loaded = load_hf("musique", "train", path="json", data_files=str(mpath), cache_dir=str(tmp_path / "hf"), limit=3)
    assert [r.answers for r in loaded] == [r.answers for r in musique[:3]]


def test_hugging_face_rows_that_do_not_convert_raise_data_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1", "question": "Q", "answer": "A", "paragraphs": [{"title": "T"}]}\n')
    with pytest.raises(DataError, match=r"json\[train\], line 1, field 'paragraph_text': missing"):
        load_hf("musique", "train", path="json", data_files=str(path), cache_dir=str(tmp_path / "hf"))
    with pytest.raises(ConfigError, match="split 'test'"):
        load_hf("musique", "test")
