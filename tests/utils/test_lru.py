"""Module-level caches are bounded: the LRU map, and the corpus and index caches that use it."""

import threading

from agent_gym.envs.qa import env as qa_env
from agent_gym.retrieval import bm25
from agent_gym.utils.lru import LRUCache


def test_the_least_recently_used_value_goes_first():
    cache = LRUCache(maxsize=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the oldest
    cache.put("c", 3)
    assert cache.keys() == ["a", "c"] and cache.get("b") is None and len(cache) == 2


def test_a_value_is_created_once_whatever_the_threads():
    cache, calls = LRUCache(maxsize=4), []

    def create():
        calls.append(1)
        return object()

    threads = [threading.Thread(target=cache.get_or_create, args=("k", create)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1


def test_the_corpus_and_index_caches_have_their_documented_bounds():
    assert isinstance(qa_env._CORPORA, LRUCache) and qa_env._CORPORA.maxsize == qa_env.CORPUS_CACHE_SIZE == 8
    assert isinstance(bm25._SHARED, LRUCache) and bm25._SHARED.maxsize == bm25.INDEX_CACHE_SIZE == 8
