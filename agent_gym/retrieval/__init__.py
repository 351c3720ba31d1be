"""Retrieval: one protocol (``search(query, k) -> list[Passage]`` and ``batch_search``), several backends.

- ``bm25`` (:class:`BM25Retriever`, default): bm25s in-process; index cached on disk, shared in the process.
- ``lucene`` (:class:`~agent_gym.retrieval.lucene.LuceneRetriever`): pyserini, the optional ``lucene`` extra.
- ``http`` (:class:`HttpRetriever`): a client of the retrieval server (:func:`~agent_gym.retrieval.server.create_app`,
  ``agent-gym serve-retriever``).
- :class:`MemoryRetriever`: a dependency-free fake for tests.

Heavy backends (bm25s, pyserini, FastAPI) are imported only when used.
"""

from agent_gym.retrieval.base import MAX_QUERY_CHARS, Passage, Retriever, clean_query
from agent_gym.retrieval.bm25 import BM25Retriever
from agent_gym.retrieval.corpus import Corpus, passage_id
from agent_gym.retrieval.factory import RETRIEVERS, make_retriever
from agent_gym.retrieval.memory import MemoryRetriever
from agent_gym.retrieval.remote import HttpRetriever

__all__ = [
    "BM25Retriever",
    "Corpus",
    "HttpRetriever",
    "MAX_QUERY_CHARS",
    "MemoryRetriever",
    "Passage",
    "RETRIEVERS",
    "Retriever",
    "clean_query",
    "make_retriever",
    "passage_id",
]
