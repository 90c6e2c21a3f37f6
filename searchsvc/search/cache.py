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

MAX_ENTRIES = 2_048

Value = TypeVar("Value")


class LruCache(Generic[Value]):
    """The ``max_entries`` most recently used values (0: keeps nothing)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Value) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_load(self, key: Hashable, load: Callable[[], Value]) -> Value:
        """The cached value, else ``load()``'s (run outside the lock; None is cached too)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = load()
        self.put(key, value)
        return value


class ResultCache(LruCache[SearchResult]):
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)
