"""Copies of one paragraph that differ only in whitespace are one passage (they used to take two top-k slots)."""

import gymnasium as gym

import agent_gym  # noqa: F401
from agent_gym.data.schema import Paragraph
from agent_gym.retrieval import Corpus, passage_id


def test_whitespace_variants_are_one_passage_with_one_id():
    copies = [
        Paragraph(title="Dirty Pretty Things (band)", text="Dirty Pretty Things were an English rock band."),
        Paragraph(title="Dirty Pretty Things  (band)", text=" Dirty Pretty Things were an\nEnglish rock band. "),
    ]
    corpus = Corpus.from_paragraphs(copies)
    assert len(corpus) == 1 and corpus[0].text == copies[0].text  # the first copy is kept as written
    assert passage_id(copies[1].title, copies[1].text) == corpus[0].id


def test_a_search_of_the_pooled_hotpotqa_corpus_returns_distinct_paragraphs(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_GYM_CACHE", str(tmp_path))
    env = gym.make("HotpotQA-v0")
    items = env.unwrapped.search("Dirty Pretty Things band").items
    texts = [" ".join(item.text.split()) for item in items]
    assert len(set(texts)) == len(texts) == 5
    env.close()
