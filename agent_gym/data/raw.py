"""Converters from the official dataset formats (and their Hugging Face hub copies) to :class:`QARecord`.

Accepted shapes:

- **HotpotQA** (``hotpot_dev_distractor_v1.json``, a JSON list): ``_id``, ``question``, ``answer``, ``type``,
  ``level``, ``supporting_facts=[[title, sentence index]]``, ``context=[[title, [sentences]]]``. The hub copy
  (``hotpotqa/hotpot_qa``) stores ``context`` as ``{"title": [...], "sentences": [[...]]}`` and
  ``supporting_facts`` as ``{"title": [...], "sent_id": [...]}``; both are read.
- **2WikiMultihopQA** (``dev.json``): as HotpotQA, plus ``evidences``, ``entity_ids``, ``answer_id``,
  ``evidences_id``; hub copies may name the sentence list ``content``.
- **MuSiQue** (``musique_ans_v1.0_dev.jsonl``): ``id``, ``question``, ``answer``, ``answer_aliases``,
  ``answerable``, ``paragraphs=[{"idx", "title", "paragraph_text", "is_supporting"}]``,
  ``question_decomposition``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from agent_gym.data.files import iter_json_objects, validate_object
from agent_gym.data.schema import DATASETS, QARecord, RecordSource
from agent_gym.errors import ConfigError

__all__ = ["CONVERTERS", "converter", "from_2wikimultihopqa", "from_hotpotqa", "from_musique", "load_raw"]


def _contexts(context: Any) -> list[tuple[str, list[str]]]:
    """``[(title, sentences)]`` from the list form or the hub's dict-of-lists form."""
    if isinstance(context, Mapping):
        titles = context["title"]
        sentences = context["sentences"] if "sentences" in context else context["content"]
        if len(titles) != len(sentences):
            raise ValueError(f"context has {len(titles)} titles but {len(sentences)} sentence lists")
        return [(str(t), [str(s) for s in sents]) for t, sents in zip(titles, sentences, strict=True)]
    pairs = []
    for item in context:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError(f"each context entry must be [title, [sentences]], got {str(item)[:60]!r}")
        pairs.append((str(item[0]), [str(s) for s in item[1]]))
    return pairs


def _facts(facts: Any) -> list[tuple[str, int]]:
    """``[(title, sentence index)]`` from the list form or the hub's ``{"title", "sent_id"}`` form."""
    if isinstance(facts, Mapping):
        return [(str(t), int(i)) for t, i in zip(facts["title"], facts["sent_id"], strict=True)]
    return [(str(f[0]), int(f[1])) for f in facts]


def _wiki_record(obj: Mapping[str, Any], joiner: str, extra_keys: tuple[str, ...]) -> dict[str, Any]:
    facts = _facts(obj.get("supporting_facts") or [])
    gold = {title for title, _ in facts}
    paragraphs = [
        {"title": title, "text": joiner.join(sents).strip(), "is_supporting": title in gold, "sentences": sents}
        for title, sents in _contexts(obj["context"])
    ]
    return {
        "id": str(obj["_id"] if "_id" in obj else obj["id"]),
        "question": obj["question"],
        "answer": obj["answer"],
        "type": obj.get("type"),
        "supporting_facts": facts,
        "paragraphs": paragraphs,
        "extra": {k: obj[k] for k in extra_keys if obj.get(k) is not None},
    }


def from_hotpotqa(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Uniform-record fields of one official (or hub) HotpotQA record.

    Example:
        >>> raw = {"_id": "x1", "question": "Q?", "answer": "yes", "type": "comparison", "level": "easy",
        ...        "supporting_facts": [["A", 0]], "context": [["A", ["A is.", " It was."]], ["B", ["B."]]]}
        >>> rec = QARecord.model_validate(from_hotpotqa(raw))
        >>> rec.paragraphs[0].text, rec.supporting_titles, rec.extra
        ('A is. It was.', ('A',), {'level': 'easy'})
    """
    return _wiki_record(obj, "", ("level",))


def from_2wikimultihopqa(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Uniform-record fields of one official (or hub) 2WikiMultihopQA record (sentences joined with spaces)."""
    return _wiki_record(obj, " ", ("evidences", "entity_ids", "answer_id", "evidences_id"))


def from_musique(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Uniform-record fields of one official MuSiQue record.

    Example:
        >>> raw = {"id": "2hop__1_2", "question": "Q?", "answer": "Stanley", "answer_aliases": ["Stanley, ND"],
        ...        "answerable": True, "question_decomposition": [],
        ...        "paragraphs": [{"idx": 0, "title": "T", "paragraph_text": "P.", "is_supporting": True}]}
        >>> rec = QARecord.model_validate(from_musique(raw))
        >>> rec.type, rec.answers, rec.supporting_titles
        ('2hop', ('Stanley', 'Stanley, ND'), ('T',))
    """
    paragraphs = [
        {"title": p["title"], "text": p["paragraph_text"], "is_supporting": bool(p.get("is_supporting", False))}
        for p in obj["paragraphs"]
    ]
    qid = str(obj["id"])
    return {
        "id": qid,
        "question": obj["question"],
        "answer": obj["answer"],
        "answer_aliases": obj.get("answer_aliases") or [],
        "type": qid.split("__", 1)[0] if "__" in qid else None,
        "paragraphs": paragraphs,
        "decomposition": obj.get("question_decomposition"),
        "extra": {"answerable": obj["answerable"]} if "answerable" in obj else {},
    }


CONVERTERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "hotpotqa": from_hotpotqa,
    "2wikimultihopqa": from_2wikimultihopqa,
    "musique": from_musique,
}
"""Official-format converter of each dataset."""


def converter(dataset: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The converter of ``dataset``, or a ConfigError naming the known ones."""
    if dataset not in CONVERTERS:
        raise ConfigError(f"unknown dataset {dataset!r}; expected one of {list(DATASETS)}")
    return CONVERTERS[dataset]


def load_raw(path: str | Path, dataset: str) -> list[QARecord]:
    """Load an official raw file (JSON list or JSON Lines, optionally gzipped) of ``dataset``.

    Raises:
        DataError: naming the file, line and field of the first broken record.
    """
    convert = converter(dataset)
    source = RecordSource(repo=dataset, path=str(path))

    def to_record(obj: Any) -> dict[str, Any]:
        if not isinstance(obj, Mapping):
            raise TypeError(f"expected a JSON object, got {type(obj).__name__}")
        return {**convert(obj), "source": source}

    return [validate_object(QARecord, obj, path, line, to_record) for line, obj in iter_json_objects(path)]
