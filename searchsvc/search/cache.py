"""Bounded, thread-safe caches of a process: whole search results, and per-segment data.

Readers repeat queries (the head of a search log is short and hot). A result is keyed
by the index version it was computed on and the normalized request, so any change of
the index (a write, a new generation) makes old entries unreachable; they age out.
Per-segment data (columns, mapped posting arrays) is keyed by segment: a live update only
loads its new segment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from searchsvc.search.model import SearchResult

# A worker's cached results: about 1,500 pages of ten hits (Reuters: ~11 KB each).
RESULT_CACHE_BYTES = 16 * 2**20

Value = TypeVar("Value")


class LruCache(Generic[Value]):
    """The most recently used values while their costs add up to at most ``capacity``
    (0: keeps nothing). A value costs ``cost(value)``: by default 1, so ``capacity`` counts entries."""

    def __init__(self, capacity: int, cost: Callable[[Value], int] = lambda _value: 1) -> None:
        self.capacity = capacity
        self._cost = cost
        self._entries: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Value) -> None:
        cost = self._cost(value)
        if cost > self.capacity:
            return
        with self._lock:
            replaced = self._entries.pop(key, None)
            if replaced is not None:
                self._total -= replaced[1]
            self._entries[key] = (value, cost)
            self._total += cost
            while self._total > self.capacity:
                _key, (_value, evicted) = self._entries.popitem(last=False)
                self._total -= evicted

    def get_or_load(self, key: Hashable, load: Callable[[], Value]) -> Value:
        """The cached value, else ``load()``'s (run outside the lock; None is cached too)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        value = load()
        self.put(key, value)
        return value


class ResultCache(LruCache[SearchResult]):
    """Whole results, bounded by their approximate size in bytes."""

    def __init__(self, max_bytes: int = RESULT_CACHE_BYTES) -> None:
        super().__init__(max_bytes, result_bytes)


def result_bytes(result: SearchResult) -> int:
    """About what a result holds in memory: the costs of a hit, a character of its text and a
    facet entry fitted to the measured sizes of 2,048 Reuters results."""
    text = sum(
        len(hit.title_html) + len(hit.snippet_html) + len(hit.article.title) + len(hit.article.url or "") + len(hit.article.summary or "")
        for hit in result.hits
    )
    return 1_000 + 400 * len(result.hits) + 2 * text + 230 * sum(len(values) for values in result.facets.values())
