"""bm25: ranking, ties, the on-disk cache (reused, shared, corrupt → rebuilt) and queries that never crash."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_gym.errors import ConfigError, DataError
from agent_gym.retrieval import BM25Retriever, Corpus, MemoryRetriever, Passage, Retriever, make_retriever
from agent_gym.retrieval import bm25 as bm25_module
from agent_gym.retrieval.bm25 import top_k
from agent_gym.retrieval.cache import verify_directory
from agent_gym.utils.lru import LRUCache

PASSAGES = [
    Passage(id="derrickson", title="Scott Derrickson", text="Scott Derrickson is an American director and producer."),
    Passage(id="wood", title="Ed Wood", text="Edward Davis Wood Jr. was an American filmmaker, actor and author."),
    Passage(id="paris", title="Paris", text="Paris is the capital and most populous city of France."),
    Passage(id="twin-a", title="Twin", text="identical twin passage"),
    Passage(id="twin-b", title="Twin", text="identical twin passage"),
]


@pytest.fixture()
def corpus():
    return Corpus(PASSAGES, name="tiny")


@pytest.fixture()
def fresh(monkeypatch, tmp_path):
    """An empty cache root and no index shared in the process."""
    monkeypatch.setattr(bm25_module, "_SHARED", LRUCache(8))
    monkeypatch.setenv("AGENT_GYM_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_ranks_by_bm25_and_breaks_ties_by_corpus_order(corpus, fresh):
    retriever = BM25Retriever(corpus)
    assert isinstance(retriever, Retriever)
    hits = retriever.search("Which American director made films?", 3)
    assert [p.id for p in hits][:2] == ["derrickson", "wood"] and hits[0].score > hits[1].score > 0
    assert [p.id for p in retriever.search("twin", 5)] == ["twin-a", "twin-b"]
    assert retriever.search("the of and", 5) == [] and retriever.search("", 5) == [] and retriever.search("zzz", 5) == []
    assert [[p.id for p in hits] for hits in retriever.batch_search(["paris", "ed wood"], 1)] == [["paris"], ["wood"]]


def test_top_k_keeps_every_tie_at_the_threshold():
    assert top_k(np.array([1.0, 3.0, 1.0, 1.0, 0.0]), 3).tolist() == [1, 0, 2]
    assert top_k(np.zeros(4), 2).tolist() == [] and top_k(np.array([1.0]), 0).tolist() == []


def test_index_is_built_once_then_shared_then_loaded_from_disk(corpus, fresh):
    first = BM25Retriever(corpus)
    assert first.load_info["source"] == "built"
    assert BM25Retriever(corpus).load_info["source"] == "memory"  # a second env in the same process
    bm25_module._SHARED.clear()  # a new process
    again = BM25Retriever(corpus)
    assert again.load_info["source"] == "disk"
    assert again.search("American director", 5) == first.search("American director", 5)
    (entry,) = (fresh / "bm25").iterdir()
    assert verify_directory(entry)
    other = BM25Retriever(corpus, k1=1.2, b=0.75)  # other settings, other entry
    assert other.load_info["source"] == "built" and len(list((fresh / "bm25").iterdir())) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete", "manifest"])
def test_a_corrupt_cache_is_rebuilt(corpus, fresh, damage):
    expected = BM25Retriever(corpus).search("American director", 5)
    bm25_module._SHARED.clear()
    (entry,) = (fresh / "bm25").iterdir()
    target = next(p for p in entry.iterdir() if p.name.startswith("data"))
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:20])
    elif damage == "garbage":
        target.write_bytes(b"\x00garbage" * 10)
    elif damage == "delete":
        target.unlink()
    else:
        (entry / "manifest.json").write_text("{not json")
    rebuilt = BM25Retriever(corpus)
    assert rebuilt.load_info["source"] == "built"
    assert rebuilt.search("American director", 5) == expected
    assert verify_directory(entry)


def test_a_verified_entry_that_bm25s_cannot_load_is_rebuilt(corpus, fresh):
    BM25Retriever(corpus)
    bm25_module._SHARED.clear()
    (entry,) = (fresh / "bm25").iterdir()
    params = entry / "params.index.json"
    params.write_text("{broken")
    manifest = json.loads((entry / "manifest.json").read_text())
    import hashlib

    manifest["files"]["params.index.json"] = hashlib.sha256(params.read_bytes()).hexdigest()
    (entry / "manifest.json").write_text(json.dumps(manifest))  # checksums match, content is broken
    assert BM25Retriever(corpus).load_info["source"] == "built"


def test_in_memory_index_writes_nothing(corpus, fresh):
    retriever = BM25Retriever(corpus, cache=False)
    assert retriever.load_info["source"] == "built" and not fresh.exists()
    assert retriever.search("paris", 1)[0].id == "paris"


@given(st.text(max_size=3000), st.integers(min_value=-2, max_value=50))
def test_no_query_crashes_the_retriever(query, k):
    retriever = BM25Retriever(Corpus(PASSAGES), cache=False)
    hits = retriever.search(query, k)
    assert len(hits) <= max(k, 0) and all(p.score > 0 for p in hits)


def test_bad_configuration_is_refused(corpus):
    with pytest.raises(ConfigError, match="0 <= b <= 1"):
        BM25Retriever(corpus, b=2.0, cache=False)
    with pytest.raises(ConfigError, match="empty corpus"):
        BM25Retriever(Corpus([]), cache=False)
    with pytest.raises(ConfigError, match="Did you mean 'bm25'"):
        make_retriever("bm52", corpus)
    with pytest.raises(ConfigError, match="needs the server's URL"):
        make_retriever("http", corpus)
    fake = MemoryRetriever(PASSAGES)
    assert make_retriever(fake) is fake


def test_corpus_ids_hash_and_files(tmp_path):
    with pytest.raises(DataError, match="passage id 'a' is repeated"):
        Corpus([Passage(id="a", title="t", text="x"), Passage(id="a", title="t", text="y")])
    assert Corpus(PASSAGES).content_hash == Corpus(list(PASSAGES)).content_hash != Corpus(PASSAGES[:2]).content_hash
    path = tmp_path / "wiki.jsonl"
    path.write_text('{"id": 1, "title": "A", "text": "a", "url": "ignored"}\n{"id": "2", "title": "B"}\n')
    with pytest.raises(DataError, match=r"wiki.jsonl, line 2, field 'text': Field required"):
        Corpus.from_jsonl(path)
    path.write_text('{"id": 1, "title": "A", "text": "a"}\n')
    assert Corpus.from_jsonl(path)[0] == Passage(id="1", title="A", text="a")


def test_an_unusable_cache_location_falls_back_to_memory(corpus, fresh, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("AGENT_GYM_CACHE", str(blocker))
    retriever = BM25Retriever(corpus)
    assert retriever.load_info["source"] == "built" and retriever.search("paris", 1)[0].id == "paris"
