"""What a date-sorted page costs by page number and by cursor, in-process, uncached: page 1,
page 100 (hits 9,901-10,000) and the same hits after a cursor, 100 hits a page, over 10,050
short synthetic articles whose dates tie in groups of ``--ties`` (medians of 40 rounds each;
the machine is shared: compare checkouts side by side in one run and read the ratios).

    .venv/bin/python bench/cursor_pages.py [--ties 3]
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/cursor_pages.py   # another checkout (no cursor line if it has none)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

if not any(Path(p, "searchsvc").is_dir() for p in sys.path[1:] if p):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from searchsvc.indexer import reindex  # noqa: E402
from searchsvc.search import SearchRequest, SearchService, Sort  # noqa: E402
from searchsvc.search.cache import ResultCache  # noqa: E402
from searchsvc.store import IndexStore  # noqa: E402

ARTICLES = 10_050
ROUNDS = 40


def build(folder: Path, ties: int) -> IndexStore:
    start = datetime(2025, 3, 1, tzinfo=timezone.utc)
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as out:
        for n in range(ARTICLES):
            out.write(json.dumps({"id": f"d-{n:05d}", "title": f"Harbor report {n}", "body": f"The harbor story {n}.", "section": "News",
                                  "published": (start + timedelta(minutes=n // ties)).isoformat()}) + "\n")
    store = IndexStore(folder / "index")
    reindex([folder / "articles.jsonl"], store)
    return store


def median_ms(service: SearchService, request: SearchRequest) -> float:
    times = []
    for _ in range(ROUNDS):
        service._results = ResultCache()  # uncached
        started = time.perf_counter()
        service.search(request)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ties", type=int, default=3, help="articles sharing each date")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        service = SearchService(build(Path(scratch), args.ties))
        first = SearchRequest(q="", sort=Sort.NEWEST, per_page=100, facets=())
        cases = [("page 1", first), ("page 100 (hits 9,901-10,000)", replace(first, page=100))]
        if "after" in {f.name for f in fields(SearchRequest)}:
            cursor = service.search(replace(first, page=99)).next_cursor  # after hit 9,900
            cases.append(("after a cursor at hit 9,900", replace(first, after=cursor)))
        for name, request in cases:
            print(f"{name}: {median_ms(service, request):.2f} ms")


if __name__ == "__main__":
    main()
