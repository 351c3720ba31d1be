"""MultiHopQA-v0: answer real multi-hop questions by searching Wikipedia paragraphs.

Env card
--------
- **Ids**: ``MultiHopQA-v0`` (HotpotQA, 2WikiMultihopQA and MuSiQue mixed; ``dataset=`` selects),
  ``HotpotQA-v0``, ``TwoWikiMultihopQA-v0``, ``MuSiQue-v0``; each has a ``…Noisy-v0`` twin with the ``light``
  noise preset (5% search failures, 10% of passages dropped, 20% shuffled ranks, 5% passages truncated).
- **Task**: one question from the chosen split. ``reset(options={"index": i})`` picks question ``i`` (walk
  ``range(env.unwrapped.num_questions)`` for a deterministic evaluation); otherwise it is drawn from ``np_random``.
- **Observation**: the chat history: system prompt (instructions and the ``search`` tool in the chosen tool
  format), the question, then every turn and tool result.
- **Action**: one assistant turn in the tool format (default Hermes ``<tool_call>``; ``openai``,
  ``search_r1``, ``react`` also work). ``<answer>…</answer>`` ends the episode.
- **Tools**: ``search(query: str)`` returns the ``top_k`` (default 5) best paragraphs as ``[n] Title\\ntext``.
  Empty or over-long queries (``max_query_chars``, default 1000) are rejected as invalid arguments; a
  retrieval backend that cannot be reached gives an ``unavailable`` tool error and the episode goes on.
- **Retrieval**: ``retriever="bm25"`` (default, in-process, index cached on disk), ``"lucene"`` (the
  ``lucene`` extra), an ``http://…`` URL of ``agent-gym serve-retriever``, or any Retriever object.
  ``corpus="pooled"`` (default; every paragraph of the selected questions, de-duplicated: the open setting),
  ``"question"`` (only the question's own 10–20 paragraphs: the distractor setting; bm25 only) or the path of a
  ``{"id", "title", "text"}`` JSONL corpus (e.g. a Wikipedia dump).
- **Reward components**: ``outcome`` (preset ``outcome``, as in Agent-R1: the answer's exact match, or
  ``format score - 1`` if a turn was malformed). Preset ``process`` adds ``retrieval_hit`` (+0.1 for each
  supporting paragraph retrieved for the first time), ``repeated_call``, ``invalid_call``, ``tool_error``,
  ``format_error``, ``turn_cost`` and ``overlong``.
- **Metrics** (``info["metrics"]`` on the answering step): ``em``, ``f1`` and ``cover_em`` (gold contained in
  the answer), SQuAD-normalised, best over the answer and its aliases. ``outcome_metric = "em"``: Agent-R1
  trains on exact match; ``f1`` pays partial credit for wrong entities that share words with the gold answer,
  and ``cover_em`` can be gamed by answering with a list of candidates, so both are logged, not rewarded.
- **Info**: on reset ``question``, ``answers`` (answer + aliases), ``supporting_titles``, ``supporting_ids``,
  ``dataset``, ``question_id``, ``split``, ``index``, ``type``; on each step ``retrieval_hits`` (supporting
  paragraphs retrieved so far: the sum of the ``retrieval_hit`` signal; episodes stored before the rename call
  it ``supporting_found``), ``supporting_total`` and ``searches``, plus ToolEnv's ``tool_calls``,
  ``tool_results`` (with each passage's ``id``, ``title`` and ``score``), ``reward_components`` and ``metrics``.
- **Data**: real dev (865 HotpotQA distractor, 657 2WikiMultihopQA, 292 MuSiQue-Ans) and train (200, 500, 100)
  records bundled in ``agent_gym/envs/data`` (sources and licences in its README: HotpotQA CC BY-SA 4.0,
  2WikiMultihopQA Apache-2.0, MuSiQue CC BY 4.0). ``data=`` takes your own records instead: a JSONL file in the
  uniform schema, or the records from ``agent_gym.data.load_raw`` / ``load_hf``; records without paragraphs need
  ``corpus=`` (the passages to search).
"""

from __future__ import annotations

import hashlib
import numbers
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from agent_gym.data import QARecord, load_jsonl
from agent_gym.envs.qa.bundled import load_bundled, resolve_datasets
from agent_gym.errors import ConfigError, ToolArgumentError
from agent_gym.retrieval import BM25Retriever, Corpus, Retriever, make_retriever, passage_id
from agent_gym.rewards import answer_metrics, normalize_answer, signal
from agent_gym.tools import Interpretation, ToolEnv, tool
from agent_gym.types import ResultItem, Task, ToolCall, ToolOutput, ToolResult
from agent_gym.utils.lru import LRUCache

__all__ = ["MultiHopQAEnv"]

CORPUS_CACHE_SIZE = 8
"""Pooled and file corpora kept per process (least recently used dropped first): envs of the same data share one.

Eight covers the bundled datasets' splits and pools that one leaderboard or training run uses; a long-running server
that cycles through more rebuilds a dropped corpus when it is asked for again.
"""
_CORPORA: LRUCache[Corpus] = LRUCache(CORPUS_CACHE_SIZE)


def _pooled_corpus(key: tuple, records: Sequence[QARecord]) -> Corpus:
    return _CORPORA.get_or_create(key, lambda: Corpus.from_records(records, name="pooled:" + "+".join(map(str, key))))


def _records_hash(records: Iterable[QARecord]) -> str:
    """What names an in-memory record set in the corpus cache: the hash of its content."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(record.model_dump_json().encode())
    return digest.hexdigest()


def _file_corpus(path: Path) -> Corpus:
    key = ("file", str(path.resolve()), path.stat().st_mtime_ns if path.exists() else 0)
    return _CORPORA.get_or_create(key, lambda: Corpus.from_jsonl(path))


class MultiHopQAEnv(ToolEnv):
    """Multi-hop question answering with a ``search`` tool over Wikipedia paragraphs.

    Args:
        dataset: ``hotpotqa``, ``2wikimultihopqa``, ``musique``, a list of them, or None/``"all"`` for all three.
        split: ``dev`` (default) or ``train`` (the bundled records).
        data: Your records instead of the bundled ones: the path of a JSONL file in the uniform schema, or the
            records themselves (e.g. from ``agent_gym.data.load_raw`` or ``load_hf``).
        retriever: ``bm25``, ``lucene``, an ``http(s)://`` URL, or a Retriever.
        corpus: ``pooled``, ``question``, or the path of a ``{"id", "title", "text"}`` JSONL corpus.
        top_k: Passages returned per search.
        retriever_options: Extra keyword arguments of the retriever (e.g. ``{"k1": 1.2}``, ``{"retries": 0}``).
        max_query_chars: Longer queries are rejected as invalid arguments.
        tool_format: ``hermes``, ``openai``, ``search_r1``, ``react`` or a ToolFormat.
        max_turns: Turns before truncation.
        reward: Reward preset (``outcome``, ``process``), weights, or a Rubric.
        noise: Noise preset (``off``, ``light``, ``heavy``), fields, or a NoiseModel.
        **kwargs: Passed to :class:`~agent_gym.tools.ToolEnv` (``max_tool_calls_per_turn``, ``instructions``, ...).
    """

    reward_components: ClassVar = {"retrieval_hit": (signal("retrieval_hit"), 0.1)}  # one name: component and signal
    outcome_metric: ClassVar[str] = "em"
    splits: ClassVar[tuple[str, ...]] = ("train", "dev")
    default_instructions: ClassVar[str] = (
        "Answer the question. It needs facts from several Wikipedia paragraphs: use the search tool to find them, "
        "one entity at a time, and search again with what you learn. When you know the answer, give a short span "
        "(a name, a date, a number, or yes/no), not a sentence."
    )

    def __init__(
        self,
        dataset: str | Sequence[str] | None = None,
        split: str = "dev",
        *,
        data: str | Path | Sequence[QARecord] | None = None,
        retriever: str | Retriever = "bm25",
        corpus: str | Path = "pooled",
        top_k: int = 5,
        retriever_options: dict[str, Any] | None = None,
        max_query_chars: int = 1000,
        tool_format: str = "hermes",
        max_turns: int = 8,
        reward: Any = "outcome",
        noise: Any = None,
        **kwargs: Any,
    ):
        super().__init__([tool(self.search)], tool_format=tool_format, max_turns=max_turns, reward=reward, noise=noise, **kwargs)
        if not isinstance(top_k, int) or top_k < 1:
            raise ConfigError(f"top_k must be a positive int, got {top_k!r}")
        self.top_k, self.max_query_chars, self.split = top_k, int(max_query_chars), split
        self.datasets = resolve_datasets(dataset)
        self.records, source_key = self._load_records(dataset, split, data)
        self.corpus_mode = corpus if corpus in ("pooled", "question") else "file"
        self.match_by = "title" if self.corpus_mode == "file" else "id"  # how retrieved passages meet the gold ones
        self._match_by = self.match_by
        self._question_retrievers: OrderedDict[str, Retriever] = OrderedDict()
        self.retriever = self._shared_retriever(retriever, corpus, source_key, dict(retriever_options or {}))
        self._record: QARecord | None = None
        self._gold: frozenset[str] = frozenset()
        self._found: set[str] = set()
        self._searches = 0

    def _load_records(
        self, dataset: Any, split: str, data: str | Path | Sequence[QARecord] | None
    ) -> tuple[tuple[tuple[str, QARecord], ...], tuple]:
        """``((dataset name, record), ...)`` and a key naming that record set (for the pooled-corpus cache)."""
        if data is not None:
            label = self.datasets[0] if dataset is not None and len(self.datasets) == 1 else "custom"
            if isinstance(data, (str, Path)):
                records = tuple((label, r) for r in load_jsonl(data))
                key: tuple = ("data", str(Path(data).resolve()), Path(data).stat().st_mtime_ns)
            else:
                records = tuple((label, QARecord.model_validate(r)) for r in data)
                key = ("records", _records_hash(r for _, r in records))
        else:
            records = tuple((name, r) for name in self.datasets for r in load_bundled(name, split))
            key = (*self.datasets, split)
        if not records:
            where = self.datasets if data is None else data if isinstance(data, (str, Path)) else "data="
            raise ConfigError(f"no questions to ask: {where} holds no record")
        return records, key

    def _shared_retriever(
        self, retriever: str | Retriever, corpus: str | Path, key: tuple, options: dict[str, Any]
    ) -> Retriever | None:
        """The retriever of the whole corpus; None in ``question`` mode, where each question gets its own."""
        if self.corpus_mode == "question":
            if retriever != "bm25":
                raise ConfigError("corpus='question' builds a small index per question and needs retriever='bm25'")
            bare = next((r.id for _, r in self.records if not r.paragraphs), None)
            if bare is not None:
                raise ConfigError(
                    f"corpus='question' searches each question's own paragraphs, but record {bare!r} has none; "
                    'use corpus=\'passages.jsonl\' (one {"id", "title", "text"} object per line) instead'
                )
            return None
        passages = None
        if isinstance(retriever, str) and not retriever.startswith(("http://", "https://")):  # a local backend
            records = [r for _, r in self.records]
            if self.corpus_mode == "pooled" and not any(r.paragraphs for r in records):
                raise ConfigError(
                    "these records have no paragraphs, so the pooled corpus is empty; give the passages to search "
                    'with corpus=\'passages.jsonl\' (one {"id", "title", "text"} object per line, e.g. a '
                    "Wikipedia dump), or records that carry their paragraphs"
                )
            passages = _pooled_corpus(key, records) if self.corpus_mode == "pooled" else _file_corpus(Path(corpus))
        return make_retriever(retriever, passages, **options)

    @property
    def num_tasks(self) -> int:
        """How many questions ``reset(options={"index": i})`` can select."""
        return len(self.records)

    @property
    def num_questions(self) -> int:
        """:attr:`num_tasks`, by the name the leaderboard and QA users know."""
        return self.num_tasks

    # -- the tool ----------------------------------------------------------------------------------------------

    def search(self, query: str) -> ToolOutput:
        """Search Wikipedia paragraphs and return the best matches, each as its title and text.

        Args:
            query: A few keywords or a short question, e.g. an entity's name and the fact you need.
        """
        query = query.strip()
        if not query:
            raise ToolArgumentError("the query is empty; write a few keywords, e.g. a person's or a place's name")
        if len(query) > self.max_query_chars:
            raise ToolArgumentError(
                f"the query has {len(query)} characters; the limit is {self.max_query_chars}: keep the key words only"
            )
        passages = self._current_retriever().search(query, self.top_k)
        if not passages:
            return ToolOutput(content="No paragraph matches this query; try other words.")
        items = tuple(
            ResultItem(
                text=f"{p.title}\n{p.text}",
                meta={"id": p.id, "title": p.title, "score": None if p.score is None else round(p.score, 4)},
            )
            for p in passages
        )
        return ToolOutput(items=items)

    @property
    def active_retriever(self) -> Retriever:
        """The retriever ``search`` uses now: the shared one, or in ``question`` mode the current question's.

        Raises:
            ToolArgumentError: in ``question`` mode before the first ``reset``.
        """
        return self._current_retriever()

    def _current_retriever(self) -> Retriever:
        if self.retriever is not None:
            return self.retriever
        record = self._record
        if record is None:  # the tool was called outside an episode
            raise ToolArgumentError("no question is loaded; call reset() first")
        key = self._task.id if self._task is not None else record.id
        cached = self._question_retrievers.get(key)
        if cached is None:
            cached = BM25Retriever(Corpus.from_paragraphs(record.paragraphs, name=record.id), cache=False)
            self._question_retrievers[key] = cached
            if len(self._question_retrievers) > 64:
                self._question_retrievers.popitem(last=False)
        return cached

    # -- ToolEnv hooks -----------------------------------------------------------------------------------------

    def sample_task(self, options: dict[str, Any]) -> Task:
        if "index" in options:
            index = options["index"]
            if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < len(self.records):
                raise ConfigError(f"options['index'] must be an int in [0, {len(self.records)}), got {index!r}")
            index = int(index)
        else:
            index = int(self.np_random.integers(len(self.records)))
        dataset, record = self.records[index]
        self._record, self._found, self._searches = record, set(), 0
        gold_ids = [passage_id(p.title, p.text) for p in record.supporting_paragraphs]
        # Records whose paragraphs carry no gold flag (only supporting_facts titles) are matched by title too.
        self._match_by = "id" if self.match_by == "id" and gold_ids else "title"
        if self._match_by == "id":
            self._gold = frozenset(gold_ids)
        else:
            self._gold = frozenset(normalize_answer(t) for t in record.supporting_titles)
        info = {
            "question": record.question,
            "answers": list(record.answers),
            "supporting_titles": list(record.supporting_titles),
            "supporting_ids": gold_ids,
            "dataset": dataset,
            "question_id": record.id,
            "split": self.split,
            "index": index,
            "type": record.type,
        }
        return Task(id=f"{dataset}:{record.id}", prompt=f"Question: {record.question}", info=info)

    def score_answer(self, answer: str) -> dict[str, float]:
        return answer_metrics(answer, self._record.answers if self._record else ())

    def interpret(self, call: ToolCall, result: ToolResult) -> Interpretation:
        meaning = super().interpret(call, result)
        self._searches += call.name == "search"
        new_hits = 0
        if result.output is not None:
            for item in result.output.items:
                key = item.meta.get("id") if self._match_by == "id" else normalize_answer(str(item.meta.get("title", "")))
                if key in self._gold and key not in self._found:
                    self._found.add(key)
                    new_hits += 1
        return Interpretation(content=meaning.content, signals={"retrieval_hit": float(new_hits)})

    def step_info(self) -> dict[str, Any]:
        return {"retrieval_hits": len(self._found), "supporting_total": len(self._gold), "searches": self._searches}
