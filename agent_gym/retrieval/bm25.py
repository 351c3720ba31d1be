"""The default retriever: BM25 in-process with ``bm25s``, its index cached on disk and shared in the process.

The index of a corpus is built once: later envs in the same process reuse the in-memory index, later
processes load it from the cache (see :mod:`agent_gym.retrieval.cache`) after checking it against the corpus:
an entry that does not match is reported, deleted and rebuilt. Scores follow Lucene's BM25
(``method="lucene"``) with Anserini's defaults ``k1=0.9, b=0.4`` and the analyzer of
:mod:`agent_gym.retrieval.analysis`, so rankings match the ``lucene`` backend; ties go to the earlier passage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agent_gym.errors import ConfigError
from agent_gym.retrieval.analysis import ANALYZER_VERSION, analyze
from agent_gym.retrieval.base import Passage, clean_query
from agent_gym.retrieval.cache import CACHE_ENV_VAR, cache_key, cache_root, cached_directory, discard_entry
from agent_gym.retrieval.corpus import Corpus
from agent_gym.utils.lru import LRUCache

__all__ = ["BM25Retriever", "top_k"]

logger = logging.getLogger(__name__)
INDEX_CACHE_SIZE = 8
"""BM25 indexes kept in memory per process (least recently used dropped first): retrievers of one corpus and
settings share one. A dropped index is loaded again from the disk cache (about a second) when asked for."""
_SHARED: LRUCache[Any] = LRUCache(INDEX_CACHE_SIZE)  # cache key -> bm25s.BM25
_LOCK = threading.Lock()
_SPOT_CHECKS = 32  # passages re-analysed per load from disk: the whole check ~20 ms on 17k passages, all of them ~3 s


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest positive scores, best first, ties broken by the lower index.

    Example:
        >>> top_k(np.array([0.5, 2.0, 0.5, 0.0, 2.0]), 3).tolist()
        [1, 4, 0]
    """
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0 or k <= 0:
        return positive[:0]
    if positive.size > k:
        threshold = np.partition(scores[positive], positive.size - k)[positive.size - k]
        positive = positive[scores[positive] >= threshold]  # keeps every tie at the threshold
    order = np.lexsort((positive, -scores[positive]))
    return positive[order[:k]]


class BM25Retriever:
    """BM25 over a :class:`Corpus` with ``bm25s``.

    Args:
        corpus: The passages to search.
        k1: Term-frequency saturation (Anserini's default 0.9).
        b: Length normalisation (Anserini's default 0.4).
        cache: Keep the index on disk under this directory; None uses ``$AGENT_GYM_CACHE`` (or
            ``~/.cache/agent_gym``); False keeps it in memory only (small per-question corpora).

    Attributes:
        load_info: How the index was obtained: ``{"source": "memory" | "disk" | "built", "seconds": ...}``.
    """

    name = "bm25"

    def __init__(self, corpus: Corpus, *, k1: float = 0.9, b: float = 0.4, cache: str | Path | bool | None = None):
        if not (k1 >= 0 and 0 <= b <= 1):
            raise ConfigError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        if len(corpus) == 0:
            raise ConfigError("cannot search an empty corpus; give it at least one passage")
        self.corpus = corpus
        self.k1, self.b = float(k1), float(b)
        import bm25s

        self.key = cache_key(corpus.content_hash, "bm25s", bm25s.__version__, ANALYZER_VERSION, f"k1={self.k1}", f"b={self.b}")
        start = time.perf_counter()
        with _LOCK:
            index, source = _SHARED.get(self.key), "memory"  # under _LOCK: a build happens once
            if index is None and cache is False:
                index, source = self._build(), "built"
            elif index is None:
                root = cache_root() if cache is None or cache is True else Path(cache)
                index, source = self._load_or_build(root)
                _SHARED.put(self.key, index)
        self._index = index
        self.load_info = {"source": source, "seconds": round(time.perf_counter() - start, 4)}

    # -- index -----------------------------------------------------------------------------------------------

    def _build(self):
        import bm25s

        index = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        index.index([analyze(p.contents) for p in self.corpus], show_progress=False)
        return index

    def _load_or_build(self, root: Path):
        import bm25s

        def build(directory: Path) -> None:
            self._build().save(str(directory), show_progress=False)

        for _ in range(2):
            try:
                directory, built = cached_directory("bm25", self.key, build, root=root, fingerprint=self.corpus.content_hash)
            except OSError as exc:  # read-only or invalid cache location: work without a disk cache
                logger.warning("cannot use the index cache under %s (%s); set %s to a writable folder", root, exc, CACHE_ENV_VAR)
                return self._build(), "built"
            try:
                index = bm25s.BM25.load(str(directory), mmap=True, show_progress=False)  # pages in on demand, shared by processes
                problem = self._mismatch(index)
            except Exception as exc:  # files that match their manifest can still be unloadable (a rewritten manifest)
                problem = f"cannot be loaded ({type(exc).__name__}: {exc})"
            if problem is None:
                return index, "built" if built else "disk"
            discard_entry(directory, problem)
        logger.warning("the bm25 cache under %s keeps failing; using an in-memory index", root)
        return self._build(), "built"

    def _mismatch(self, index: Any) -> str | None:
        """What in a loaded index contradicts this corpus and these settings (completing "index cache entry X ..."), or None.

        The manifest's checksums catch damaged files, not a manifest rewritten to match altered ones, so this reads
        the index itself: its settings and shape in full, and the terms of :data:`_SPOT_CHECKS` passages spread over
        the corpus (all of a small one). Analysing every passage would cost as much as building the index.
        """
        n, scores = len(self.corpus), index.scores
        if int(scores["num_docs"]) != n:
            return f"indexes {int(scores['num_docs'])} passages but the corpus has {n}"
        if (float(index.k1), float(index.b), index.method) != (self.k1, self.b, "lucene"):
            return f"was built with k1={index.k1}, b={index.b}, method={index.method!r}"
        data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
        vocab, columns = index.vocab_dict, len(indptr) - 1
        ids = np.sort(np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab)))
        consistent = (
            np.array_equal(ids, np.arange(len(vocab)))  # one column per term, "" last without a column
            and columns == len(vocab) - ("" in vocab)
            and vocab.get("", columns) == columns
            and indptr[0] == 0
            and indptr[-1] == len(indices) == len(data)
            and bool(np.all(np.diff(indptr) >= 0))
            and (indices.size == 0 or (int(indices.min()) >= 0 and int(indices.max()) < n))
        )
        if not consistent:
            return "has an inconsistent term index"
        if not bool(np.all(np.isfinite(data) & (data > 0))):
            return "has scores that are not positive finite numbers"
        sample = np.unique(np.linspace(0, n - 1, min(n, _SPOT_CHECKS)).astype(int))
        positions = np.flatnonzero(np.isin(indices, sample))
        indexed: dict[int, set[int]] = {int(i): set() for i in sample}
        for doc, column in zip(indices[positions], np.searchsorted(indptr, positions, side="right") - 1, strict=True):
            indexed[int(doc)].add(int(column))
        for i in sample:
            passage = self.corpus[int(i)]
            if {vocab.get(term, -1) for term in analyze(passage.contents) if term} != indexed[int(i)]:
                return f"does not index passage {int(i)} ({passage.id!r}) as the corpus has it"
        return None

    # -- search ----------------------------------------------------------------------------------------------

    def _scores(self, query: str) -> np.ndarray | None:
        terms = [t for t in analyze(clean_query(query)) if t]  # bm25s keeps an unscored "" term in its vocabulary
        ids = self._index.get_tokens_ids(terms)
        return self._index.get_scores_from_ids(ids) if ids else None

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The best ``k`` passages for ``query`` (fewer when fewer passages share a term with it)."""
        scores = self._scores(query)
        if scores is None:
            return []
        return [self.corpus[int(i)].model_copy(update={"score": float(scores[i])}) for i in top_k(scores, k)]

    def batch_search(self, queries: Sequence[str], k: int = 5) -> list[list[Passage]]:
        """:meth:`search` for each query, in order."""
        return [self.search(query, k) for query in queries]

    def __repr__(self) -> str:
        return f"BM25Retriever({self.corpus!r}, k1={self.k1}, b={self.b})"
