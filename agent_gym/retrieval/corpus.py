"""Corpus: the passages a retriever searches, with a content hash that keys its on-disk index."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from agent_gym.data.files import iter_json_objects, validate_object
from agent_gym.data.schema import Paragraph, QARecord
from agent_gym.errors import DataError
from agent_gym.retrieval.base import Passage

__all__ = ["Corpus", "passage_id"]


def passage_id(title: str, text: str) -> str:
    """Content-derived id of a paragraph: the same paragraph gets the same id in every question and corpus.

    Whitespace does not count (runs of it read as one space, none at the ends): datasets copy the same Wikipedia
    paragraph with different spacing, and two copies in one corpus would take two of a search's top-k slots.

    Example:
        >>> passage_id("Ed Wood", "Edward Davis Wood Jr. was an American filmmaker.")
        'p-cc03405bdb159612'
        >>> passage_id(" Ed  Wood", "Edward Davis Wood Jr. was   an American filmmaker. ")
        'p-cc03405bdb159612'
    """
    title, text = " ".join(title.split()), " ".join(text.split())
    return "p-" + hashlib.sha1(f"{title}\n{text}".encode("utf-8", errors="surrogatepass")).hexdigest()[:16]


class Corpus(Sequence[Passage]):
    """An ordered, immutable list of passages with unique ids.

    Args:
        passages: The passages; their order is the index order (and breaks score ties).
        name: A label for logs and error messages.

    Raises:
        DataError: two passages share an id.
    """

    def __init__(self, passages: Iterable[Passage], name: str = "corpus"):
        self._passages = tuple(passages)
        self.name = name
        self._position: dict[str, int] = {}
        for i, passage in enumerate(self._passages):
            if passage.id in self._position:
                first = self._position[passage.id]
                raise DataError(f"{name}: passage id {passage.id!r} is repeated (positions {first} and {i}); ids must be unique")
            self._position[passage.id] = i
        digest = hashlib.sha256()
        for passage in self._passages:
            for part in (passage.id, passage.title, passage.text):
                digest.update(part.encode("utf-8", errors="surrogatepass"))
                digest.update(b"\x00")
        self.content_hash = digest.hexdigest()
        """SHA-256 of every id, title and text, in order: equal hashes mean equal corpora."""

    @classmethod
    def from_paragraphs(cls, paragraphs: Iterable[Paragraph], name: str = "corpus") -> Corpus:
        """De-duplicated passages of paragraphs (first occurrence kept; copies that differ only in whitespace are one
        paragraph), ids from :func:`passage_id`."""
        seen: dict[str, Passage] = {}
        for p in paragraphs:
            pid = passage_id(p.title, p.text)
            if pid not in seen:
                seen[pid] = Passage(id=pid, title=p.title, text=p.text)
        return cls(seen.values(), name=name)

    @classmethod
    def from_records(cls, records: Iterable[QARecord], name: str = "pooled") -> Corpus:
        """The pooled ("open") corpus: every paragraph of every record, de-duplicated."""
        return cls.from_paragraphs((p for r in records for p in r.paragraphs), name=name)

    @classmethod
    def from_jsonl(cls, path: str | Path) -> Corpus:
        """A user corpus: one ``{"id", "title", "text"}`` object per line (``.gz`` allowed), e.g. a Wikipedia dump.

        Raises:
            DataError: naming the file, line and field of the first broken passage, or a repeated id.
        """
        passages = []
        for line, obj in iter_json_objects(path):
            if isinstance(obj, dict):
                obj = {k: obj[k] for k in ("id", "title", "text") if k in obj}
                if isinstance(obj.get("id"), int):
                    obj["id"] = str(obj["id"])
            passages.append(validate_object(Passage, obj, path, line))
        if not passages:
            raise DataError(f'{path}: the corpus holds no passage; expected one {{"id", "title", "text"}} object per line')
        return cls(passages, name=str(path))

    def index_of(self, passage_id: str) -> int:
        """Position of a passage id (KeyError when absent)."""
        return self._position[passage_id]

    def __contains__(self, item: object) -> bool:
        return item in self._position if isinstance(item, str) else item in self._passages

    def __getitem__(self, index):  # type: ignore[override]
        return self._passages[index]

    def __len__(self) -> int:
        return len(self._passages)

    def __iter__(self) -> Iterator[Passage]:
        return iter(self._passages)

    def __repr__(self) -> str:
        return f"Corpus({self.name!r}, {len(self)} passages, hash {self.content_hash[:12]})"
