"""The Retriever protocol and the Passage it returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

__all__ = ["MAX_QUERY_CHARS", "Passage", "Retriever", "clean_query"]

MAX_QUERY_CHARS = 2000
"""Longest query any backend accepts; longer ones are cut here (servers reject them with 413/422)."""


class Passage(BaseModel):
    """One retrievable paragraph."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Stable identifier, unique within its corpus."""
    title: str
    """Title of the article the paragraph belongs to."""
    text: str
    """The paragraph's text."""
    score: float | None = None
    """Retrieval score when returned by a search (higher is better); None in a corpus."""

    @property
    def contents(self) -> str:
        """What is indexed: the title, a newline, the text (so a title search finds its paragraphs)."""
        return f"{self.title}\n{self.text}"


@runtime_checkable
class Retriever(Protocol):
    """Anything that returns the ``k`` best passages for a query, one query or a batch at a time.

    Implementations never raise on the query's content (empty, huge, arbitrary Unicode: at worst no
    results); they raise :class:`~agent_gym.errors.RetrievalError` when their backend cannot answer.
    """

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The best ``k`` passages for ``query``, best first, each with its ``score``."""
        ...

    def batch_search(self, queries: Sequence[str], k: int = 5) -> list[list[Passage]]:
        """``search`` for each query, in order."""
        ...


def clean_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """A query safe for every backend: valid UTF-8 (lone surrogates replaced), no NULs, at most ``max_chars``.

    Example:
        >>> clean_query("caf\\udce9\\x00 au lait")
        'caf? au lait'
    """
    text = query.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "")
    return text[:max_chars]
