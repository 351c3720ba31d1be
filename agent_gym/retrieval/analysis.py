"""Text analysis for BM25: a Python rendering of Lucene's default English analyzer.

Pyserini indexes with Anserini's default English analyzer: Unicode word tokenisation (UAX #29), English
possessive removal, lower-casing, Lucene's 33 English stopwords, and the Porter stemmer. :func:`analyze`
does the same with a regular expression and PyStemmer's ``porter`` algorithm, so that ``bm25`` and
``lucene`` rank alike (measured in ``docs/retrieval.md``). Known differences are rare: Lucene emits each CJK
ideograph as its own token and caps tokens at 255 characters.
"""

from __future__ import annotations

import re
import threading

__all__ = ["ANALYZER_VERSION", "LUCENE_STOPWORDS", "analyze", "analyze_batch"]

ANALYZER_VERSION = "lucene-english-porter-2"
"""Changes whenever :func:`analyze` changes, so cached indexes built by an older analyzer are rebuilt."""

LUCENE_STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
"""``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`` of Lucene."""

# A word is a run of word characters; '.' and apostrophes join two runs ("u.s", "o'neil"), ':' joins two
# letters ("a:b", not "10:30"), and ',' or ';' join two digit runs ("1,000"): UAX #29's MidNumLet, MidLetter and MidNum rules.
_WORD = re.compile(r"\w+(?:[.'’]\w+|(?<=[^\W\d_]):[^\W\d_]\w*|(?<=\d)[,;]\d+)*")
_POSSESSIVE = ("'s", "’s")
_local = threading.local()  # PyStemmer stemmers must not be shared between threads


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer  # PyStemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("porter")
    return stemmer


def analyze(text: str) -> list[str]:
    """Index terms of ``text``, in order.

    Example:
        >>> analyze("Scott Derrickson's films, the U.S. and 1,000 running-dogs")
        ['scott', 'derrickson', 'film', 'u.', '1,000', 'run', 'dog']
    """
    words = []
    for word in _WORD.findall(text.lower()):
        if word.endswith(_POSSESSIVE):
            word = word[:-2]
        if word and word not in LUCENE_STOPWORDS:
            words.append(word)
    return [stem for stem in _stemmer().stemWords(words) if stem] if words else []  # Porter maps 's' to ''


def analyze_batch(texts: list[str]) -> list[list[str]]:
    """:func:`analyze` of each text."""
    return [analyze(text) for text in texts]
