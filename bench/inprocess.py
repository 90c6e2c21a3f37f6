"""What the in-process benches share: a SearchService over Reuters-21578 at a scale, warmed
as a worker is after its first search, and a call's time in milliseconds."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.corpus import draw_queries, load_reuters, scaled
from searchsvc.indexer import index_articles
from searchsvc.search import SearchRequest, SearchService
from searchsvc.store import IndexStore


def reuters_queries(description: str) -> tuple[list[Any], list[str], list[int]]:
    """Reuters-21578, its drawn queries and the scales asked for (``--scales 1,5 --queries 200``)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,5")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    base = load_reuters()
    return base, [" ".join(words) for words in draw_queries(base, args.queries)], [int(part) for part in args.scales.split(",")]


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
