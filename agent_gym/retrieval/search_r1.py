"""Search-R1's retrieval wire format, both ways: our passages as its hits, and its hits as our passages.

Search-R1's retrieval server (and veRL's SearchTool, and the recipes built on them) speak
``POST /retrieve {"queries": [str, ...], "topk": int, "return_scores": bool}`` answered by
``{"result": [hits, ...]}``, one list of hits per query. A hit is a corpus row ``{"id", "contents", ...}`` whose
``contents`` is the title in double quotes, a newline, then the text (the wiki-18 layout); with
``return_scores`` each hit is ``{"document": row, "score": float}`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent_gym.errors import RetrievalError
from agent_gym.retrieval.base import Passage

__all__ = ["passages_from_search_r1", "search_r1_hits"]


def search_r1_hits(passages: Sequence[Passage], with_scores: bool) -> list[dict[str, Any]]:
    """The hits of one query in Search-R1's format (``title`` and ``text`` are kept alongside ``contents``).

    Example:
        >>> hit = search_r1_hits([Passage(id="p1", title="Ed Wood", text="A filmmaker.", score=2.5)], True)[0]
        >>> hit["document"]["contents"], hit["score"]
        ('"Ed Wood"\\nA filmmaker.', 2.5)
    """
    rows = [{"id": p.id, "contents": f'"{p.title}"\n{p.text}', "title": p.title, "text": p.text} for p in passages]
    if not with_scores:
        return rows
    return [{"document": row, "score": p.score} for row, p in zip(rows, passages, strict=True)]


def passages_from_search_r1(hits: Any, where: str) -> list[Passage]:
    """Our passages from one query's hits, with or without scores, from any Search-R1-style server.

    A row without ``title``/``text`` is split from ``contents`` (first line, unquoted, is the title); a row
    without an ``id`` gets its rank within the answer.

    Raises:
        RetrievalError: the hits are not in this format (``where`` names the server in the message).

    Example:
        >>> passages_from_search_r1([{"document": {"id": 7, "contents": '"Ed Wood"\\nA filmmaker.'}, "score": 1}], "x")
        [Passage(id='7', title='Ed Wood', text='A filmmaker.', score=1.0)]
    """
    if not isinstance(hits, list):
        raise RetrievalError(f"{where}: expected a list of hits per query, got {type(hits).__name__}")
    passages = []
    for rank, hit in enumerate(hits):
        row, score = (hit.get("document"), hit.get("score")) if isinstance(hit, dict) and "document" in hit else (hit, None)
        if not isinstance(row, dict) or not isinstance(row.get("contents", row.get("text")), str):
            raise RetrievalError(f"{where}: hit {rank} has no 'contents' string: {str(hit)[:200]!r}")
        title, text = row.get("title"), row.get("text")
        if not isinstance(title, str) or not isinstance(text, str):
            head, _, text = row["contents"].partition("\n")
            title = head.strip().strip('"')
        try:
            passages.append(Passage(id=str(row.get("id", rank)), title=title, text=text, score=score))
        except ValueError as exc:
            raise RetrievalError(f"{where}: hit {rank} has a bad score {score!r} ({exc})") from None
    return passages
