"""Choosing a retriever by name: ``bm25`` (default), ``lucene``, or an ``http(s)://`` URL."""

from __future__ import annotations

from typing import Any

from agent_gym.errors import ConfigError, did_you_mean
from agent_gym.retrieval.base import Retriever
from agent_gym.retrieval.corpus import Corpus

__all__ = ["RETRIEVERS", "make_retriever"]

RETRIEVERS: tuple[str, ...] = ("bm25", "lucene", "http")
"""Backend names :func:`make_retriever` accepts (``http`` as a URL)."""


def make_retriever(spec: str | Retriever, corpus: Corpus | None = None, **options: Any) -> Retriever:
    """A retriever from a name, a URL, or as given.

    Args:
        spec: ``"bm25"``, ``"lucene"``, ``"http://host:port"`` (a server speaking Search-R1's ``/retrieve``;
            several comma-separated URLs are replicas with failover), or a Retriever.
        corpus: The passages, for ``bm25`` and ``lucene`` (an HTTP server has its own).
        **options: Passed to the backend (e.g. ``k1``, ``b``, ``cache``, ``timeout_s``, ``retries``).

    Raises:
        ConfigError: unknown name, or a missing corpus.
        MissingDependency: ``lucene`` without the lucene extra.
    """
    if isinstance(spec, Retriever) and not isinstance(spec, str):
        return spec
    if not isinstance(spec, str):
        raise ConfigError(f"retriever must be a name {list(RETRIEVERS)}, a URL or a Retriever, got {type(spec).__name__}")
    if spec.startswith(("http://", "https://")):
        from agent_gym.retrieval.remote import HttpRetriever

        return HttpRetriever(spec, **options)
    if spec in ("bm25", "lucene"):
        if corpus is None:
            raise ConfigError(f"the {spec} retriever needs a corpus")
        if spec == "bm25":
            from agent_gym.retrieval.bm25 import BM25Retriever

            return BM25Retriever(corpus, **options)
        from agent_gym.retrieval.lucene import LuceneRetriever

        return LuceneRetriever(corpus, **options)
    if spec == "http":
        raise ConfigError("the http retriever needs the server's URL: pass retriever='http://127.0.0.1:8000'")
    hint = did_you_mean(spec, RETRIEVERS)
    raise ConfigError(f"unknown retriever {spec!r}; expected 'bm25', 'lucene' or an http(s):// URL.{hint}")
