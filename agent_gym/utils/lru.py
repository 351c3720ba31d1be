"""A small thread-safe LRU map for module-level caches that must stay bounded in long-running processes.

Servers (``agent-gym serve-env``, ``serve-retriever``) and trainers live for days and build envs over many
datasets; a plain module dict would keep every corpus and index they ever built.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LRUCache"]

V = TypeVar("V")


class LRUCache(Generic[V]):
    """At most ``maxsize`` values; the least recently used one is dropped first.

    Dropping a value only forgets it here: whoever still holds it keeps using it, and the next request rebuilds it.

    Example:
        >>> cache = LRUCache(maxsize=2)
        >>> [cache.get_or_create(key, lambda: key.upper()) for key in ("a", "b", "a", "c")]
        ['A', 'B', 'A', 'C']
        >>> list(cache.keys())
        ['a', 'c']
    """

    def __init__(self, maxsize: int):
        if maxsize < 1:
            raise ValueError(f"expected maxsize >= 1, got {maxsize}")
        self.maxsize = int(maxsize)
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable) -> V | None:
        """The value under ``key`` (now the most recent), or None."""
        with self._lock:
            if key not in self._values:
                return None
            self._values.move_to_end(key)
            return self._values[key]

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` under ``key``, dropping the least recently used value past ``maxsize``."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)

    def get_or_create(self, key: Hashable, create: Callable[[], V]) -> V:
        """The value under ``key``, created (under the lock: once, whatever the threads) when missing."""
        with self._lock:
            value = self.get(key)
            if value is None:
                value = create()
                self.put(key, value)
            return value

    def keys(self) -> list[Hashable]:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
