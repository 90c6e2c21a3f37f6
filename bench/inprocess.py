"""What the in-process benches share: a SearchService over Reuters-21578 at a scale, warmed
as a worker is after its first search, and a call's time in milliseconds."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.corpus import scaled
from searchsvc.indexer import index_articles
from searchsvc.search import SearchRequest, SearchService
from searchsvc.store import IndexStore


def ms(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


@contextmanager
def scaled_service(base: list[Any], factor: int, name: str) -> Iterator[SearchService]:
    """A service over ``base`` repeated ``factor`` times, in a scratch folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        store = IndexStore(Path(folder) / "index")
        index_articles(scaled(base, factor), store)
        service = SearchService(store)
        service.search(SearchRequest())  # columns loaded, as after a worker's first search
        yield service
