"""Retrieval benchmark (not a test): speed, quality and start-up of the bm25 and lucene backends.

Run ``python -m agent_gym.benchmarks.retrieval`` (all sections) or pick some with ``--sections``:

- ``qps``: queries per second of ``bm25`` and ``lucene`` on the same corpus (the pooled bundled dev
  paragraphs, every dev question as a query), one query at a time and in batches; prints lucene/bm25 ratios.
- ``recall``: recall@5 of the supporting paragraphs with the question as the query, per dataset (its pooled
  corpus) and retriever, plus bm25 over each question's own paragraphs (``corpus="question"``).
- ``agreement``: share of top-5 results that bm25 and lucene have in common (matched settings).
- ``startup``: seconds for ``gym.make("MultiHopQA-v0")`` plus ``reset`` in a fresh process, with an empty
  index cache and then with the cache filled.

Sections that need lucene are skipped, with a note, when the ``lucene`` extra is missing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

from agent_gym.data import DATASETS, QARecord
from agent_gym.errors import MissingDependency
from agent_gym.retrieval import BM25Retriever, Corpus, Retriever, passage_id

__all__ = ["agreement", "main", "qps", "recall_at_k", "startup_seconds"]

SECTIONS = ("qps", "recall", "agreement", "startup")


def _records(names: Sequence[str]) -> list[QARecord]:
    from agent_gym.envs.qa import load_bundled

    return [r for name in names for r in load_bundled(name, "dev")]


def _lucene(corpus: Corpus) -> Retriever | None:
    try:
        from agent_gym.retrieval.lucene import LuceneRetriever

        return LuceneRetriever(corpus)
    except MissingDependency as exc:
        print(f"  (lucene skipped: {exc})")
        return None


def qps(retriever: Retriever, queries: Sequence[str], k: int = 5, batch: bool = False) -> float:
    """Queries per second of ``retriever`` over ``queries`` (one call per query, or one batch call)."""
    start = time.perf_counter()
    if batch:
        retriever.batch_search(list(queries), k)
    else:
        for query in queries:
            retriever.search(query, k)
    return len(queries) / (time.perf_counter() - start)


def recall_at_k(retriever_for: Callable[[QARecord], Retriever], records: Sequence[QARecord], k: int = 5) -> tuple[float, float]:
    """(mean share of gold paragraphs in the top ``k``, share of questions with all of them) for the question as query."""
    shares, complete = [], 0
    for record in records:
        gold = {passage_id(p.title, p.text) for p in record.supporting_paragraphs}
        found = {p.id for p in retriever_for(record).search(record.question, k)} & gold
        shares.append(len(found) / len(gold))
        complete += found == gold
    return sum(shares) / len(shares), complete / len(records)


def agreement(a: Retriever, b: Retriever, queries: Sequence[str], k: int = 5) -> tuple[float, float]:
    """(mean overlap of the two top-``k`` sets / k, share of identical ranked lists)."""
    ours, theirs = a.batch_search(list(queries), k), b.batch_search(list(queries), k)
    overlap = [len({p.id for p in x} & {p.id for p in y}) / k for x, y in zip(ours, theirs, strict=True)]
    same = [[p.id for p in x] == [p.id for p in y] for x, y in zip(ours, theirs, strict=True)]
    return sum(overlap) / len(overlap), sum(same) / len(same)


def startup_seconds(cache_dir: str) -> float:
    """Wall time of a fresh process that imports agent-gym, makes MultiHopQA-v0 and resets it."""
    code = "import gymnasium as gym, agent_gym; gym.make('MultiHopQA-v0').reset(seed=0)"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "AGENT_GYM_CACHE": cache_dir})
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_gym.benchmarks.retrieval", description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args(argv)
    k = args.k

    if "startup" in args.sections:
        with tempfile.TemporaryDirectory() as cache:
            first, second = startup_seconds(cache), startup_seconds(cache)
        print(f"startup  gym.make('MultiHopQA-v0') + reset, fresh process: empty cache {first:.2f} s, cached {second:.2f} s")

    records = _records(DATASETS)
    corpus = Corpus.from_records(records)
    questions = [r.question for r in records]
    bm25 = BM25Retriever(corpus)
    lucene = _lucene(corpus) if {"qps", "agreement", "recall"} & set(args.sections) else None

    if "qps" in args.sections:
        print(f"qps      {len(questions)} questions over {len(corpus)} pooled passages, top-{k}")
        bm25.search(questions[0], k)
        single, batched = qps(bm25, questions, k), qps(bm25, questions, k, batch=True)
        print(f"  bm25    single {single:8.0f} q/s   batch {batched:8.0f} q/s")
        if lucene is not None:
            lucene.search(questions[0], k)
            l_single, l_batched = qps(lucene, questions, k), qps(lucene, questions, k, batch=True)
            print(f"  lucene  single {l_single:8.0f} q/s   batch {l_batched:8.0f} q/s")
            print(f"  ratio lucene/bm25: single {l_single / single:.2f}, batch {l_batched / batched:.2f}")

    if "agreement" in args.sections and lucene is not None:
        overlap, same = agreement(bm25, lucene, questions, k)
        print(f"agree    bm25 vs lucene top-{k}: {overlap:.2%} of results shared, {same:.2%} identical ranked lists")

    if "recall" in args.sections:
        print(f"recall@{k} of supporting paragraphs, question as query (mean share / all found)")
        for name in DATASETS:
            subset = _records([name])
            pooled = Corpus.from_records(subset)
            row = {"bm25": BM25Retriever(pooled)}
            if lucene is not None:
                from agent_gym.retrieval.lucene import LuceneRetriever

                row["lucene"] = LuceneRetriever(pooled)
            for label, retriever in row.items():
                mean, full = recall_at_k(lambda _r, retriever=retriever: retriever, subset, k)
                print(f"  {name:16s} pooled   {label:6s} {mean:.3f} / {full:.3f}  ({len(pooled)} passages)")
            per_question = lambda r: BM25Retriever(Corpus.from_paragraphs(r.paragraphs), cache=False)  # noqa: E731
            mean, full = recall_at_k(per_question, subset, k)
            print(f"  {name:16s} question bm25   {mean:.3f} / {full:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
