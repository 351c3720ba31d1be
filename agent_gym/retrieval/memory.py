"""An in-memory retriever for tests and examples: exact term overlap, no dependencies, no index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from agent_gym.retrieval.analysis import analyze
from agent_gym.retrieval.base import Passage, clean_query

__all__ = ["MemoryRetriever"]


class MemoryRetriever:
    """Ranks passages by how many distinct query terms they contain (ties: earlier passage first).

    Example:
        >>> r = MemoryRetriever([Passage(id="a", title="Ed Wood", text="A filmmaker."),
        ...                      Passage(id="b", title="Paris", text="A city.")])
        >>> [p.id for p in r.search("who was ed wood", 5)]
        ['a']
    """

    name = "memory"

    def __init__(self, passages: Iterable[Passage]):
        self.corpus = tuple(passages)
        self._terms = [set(analyze(p.contents)) for p in self.corpus]

    def search(self, query: str, k: int = 5) -> list[Passage]:
        terms = set(analyze(clean_query(query)))
        scored = [(len(terms & doc), -i) for i, doc in enumerate(self._terms)]
        best = sorted((s for s in scored if s[0] > 0), reverse=True)[: max(k, 0)]
        return [self.corpus[-i].model_copy(update={"score": float(n)}) for n, i in best]

    def batch_search(self, queries: Sequence[str], k: int = 5) -> list[list[Passage]]:
        return [self.search(q, k) for q in queries]
