"""The bm25 analyzer mirrors Lucene's default English analyzer."""

from hypothesis import given
from hypothesis import strategies as st

from agent_gym.retrieval.analysis import LUCENE_STOPWORDS, analyze


def test_tokenises_like_lucene_standard_english():
    assert analyze("Scott Derrickson's films, the U.S. and 1,000 running-dogs") == [
        "scott",
        "derrickson",
        "film",
        "u.",
        "1,000",
        "run",
        "dog",
    ]
    assert analyze("The and of A") == []
    assert analyze("O'Neil’s café naïve ÉCOLE") == ["o'neil", "café", "naïv", "école"]
    assert analyze("10:30 a:b") == ["10", "30", "a:b"]


def test_lucene_stopword_list_is_the_33_word_set():
    assert len(LUCENE_STOPWORDS) == 33 and {"the", "a", "with", "such"} <= LUCENE_STOPWORDS


@given(st.text())
def test_any_text_analyses_to_non_empty_strings(text):
    assert all(isinstance(t, str) and t for t in analyze(text))
