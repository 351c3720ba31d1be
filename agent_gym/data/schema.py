"""The uniform multi-hop QA record: one question, its answers, and the paragraphs it is asked over.

Every loader (bundled files, local JSONL, the official raw formats, Hugging Face ``datasets``) produces
:class:`QARecord`; environments and retrievers consume nothing else.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DATASETS", "DatasetName", "Paragraph", "QARecord", "RecordSource"]

DatasetName = Literal["hotpotqa", "2wikimultihopqa", "musique"]
DATASETS: tuple[str, ...] = ("hotpotqa", "2wikimultihopqa", "musique")
"""The multi-hop QA datasets agent-gym knows, by canonical name."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paragraph(_Frozen):
    """One context paragraph of a question."""

    title: str
    """Title of the Wikipedia article the paragraph comes from."""
    text: str
    """The paragraph's text (sentences joined)."""
    is_supporting: bool = False
    """Whether the paragraph is needed to answer the question (gold)."""
    sentences: tuple[str, ...] | None = None
    """The original sentences (HotpotQA and 2Wiki only), so ``supporting_facts`` indices resolve."""


class RecordSource(_Frozen):
    """Where a record was read from (for the bundled files: a public GitHub repository)."""

    repo: str = ""
    """Repository (``owner/name``) or dataset id."""
    path: str = ""
    """File path inside it."""
    commit: str = ""
    """Commit or revision read."""


class QARecord(_Frozen):
    """One multi-hop question in agent-gym's uniform schema (see ``envs/data/README.md``)."""

    id: str = Field(min_length=1)
    """The dataset's own question id (HotpotQA/2Wiki ``_id``, MuSiQue ``id``)."""
    question: str = Field(min_length=1)
    """The question text."""
    answer: str
    """The gold answer."""
    answer_aliases: tuple[str, ...] = ()
    """Other accepted answers (MuSiQue only; empty elsewhere)."""
    type: str | None = None
    """Question type, e.g. ``bridge``/``comparison`` (HotpotQA) or the hop pattern ``2hop`` (MuSiQue)."""
    supporting_facts: tuple[tuple[str, int], ...] = ()
    """``(title, sentence index)`` pairs (HotpotQA/2Wiki); empty when only paragraph-level support is known."""
    paragraphs: tuple[Paragraph, ...] = ()
    """The question's context paragraphs (gold and distractors)."""
    decomposition: tuple[dict[str, Any], ...] | None = None
    """MuSiQue's single-hop decomposition; None elsewhere."""
    source: RecordSource = RecordSource()
    """Provenance of this record."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Dataset-specific fields kept verbatim (level, evidences, ...)."""

    @field_validator("answer_aliases", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return () if value is None else value

    @property
    def answers(self) -> tuple[str, ...]:
        """The answer followed by its aliases, without duplicates (what answer metrics compare against)."""
        return tuple(dict.fromkeys((self.answer, *self.answer_aliases)))

    @property
    def supporting_paragraphs(self) -> tuple[Paragraph, ...]:
        """The gold paragraphs, in context order."""
        return tuple(p for p in self.paragraphs if p.is_supporting)

    @property
    def supporting_titles(self) -> tuple[str, ...]:
        """Titles of the gold paragraphs (or of the supporting facts when no paragraph is marked), unique, in order."""
        titles = [p.title for p in self.supporting_paragraphs] or [title for title, _ in self.supporting_facts]
        return tuple(dict.fromkeys(titles))
