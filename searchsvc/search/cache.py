"""A bounded cache of whole search results, per process.

Readers repeat queries (the head of a search log is short and hot). A result is keyed
by the index version it was computed on and the normalized request, so any change of
the index (a write, a new generation) makes old entries unreachable; they age out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from searchsvc.search.model import SearchResult

MAX_ENTRIES = 2_048


class ResultCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, SearchResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> SearchResult | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, result: SearchResult) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
