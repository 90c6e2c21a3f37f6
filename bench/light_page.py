"""What a light results page (fields=id,title,url: no snippets, no title highlighting, no
scores for date sorts) costs next to the full page, in-process and over HTTP, same run.

Each of the drawn two-word queries is asked once as the full page and once as the light
page (the order alternating, so warm posting caches favour neither, and every request
distinct, so the result cache never answers). Medians and their ratio are printed.

    .venv/bin/python bench/light_page.py [--queries 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.corpus import draw_queries, load_reuters  # noqa: E402
from bench.speed import gunicorn, http_get  # noqa: E402
from searchsvc.indexer import index_articles  # noqa: E402
from searchsvc.search import SearchRequest, SearchService  # noqa: E402
from searchsvc.store import IndexStore  # noqa: E402

LIGHT_FIELDS = ("id", "title", "url")
WARMUP = 20


def alternating(count: int, full: Callable[[int], object], light: Callable[[int], object]) -> tuple[list[float], list[float]]:
    """``full(i)`` and ``light(i)`` timed in ms for each i, the order alternating."""
    full_ms, light_ms = [], []
    for number in range(count):
        pair = ((full, full_ms), (light, light_ms)) if number % 2 == 0 else ((light, light_ms), (full, full_ms))
        for run, timings in pair:
            started = time.perf_counter()
            run(number)
            timings.append((time.perf_counter() - started) * 1000)
    return full_ms, light_ms


def line(label: str, full_ms: list[float], light_ms: list[float]) -> str:
    full, light = statistics.median(full_ms), statistics.median(light_ms)
    return f"| {label} | {full:.2f} | {light:.2f} | {light / full:.2f}x |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    articles = load_reuters()
    queries = [" ".join(words) for words in draw_queries(articles, WARMUP + 2 * args.queries)]
    warm, in_process, over_http = queries[:WARMUP], queries[WARMUP : WARMUP + args.queries], queries[WARMUP + args.queries :]
    with tempfile.TemporaryDirectory(prefix="bench-light-") as folder:
        store = IndexStore(Path(folder) / "index")
        index_articles(articles, store)
        service = SearchService(store)
        for q in warm:
            service.search(SearchRequest(q=q, fields=LIGHT_FIELDS))
        rows = [line(f"in-process, {len(in_process)} queries", *alternating(
            len(in_process),
            lambda i: service.search(SearchRequest(q=in_process[i])),
            lambda i: service.search(SearchRequest(q=in_process[i], fields=LIGHT_FIELDS)),
        ))]
        with gunicorn(Path(folder) / "index", Path(folder) / "gunicorn.log") as (port, _master):
            for q in warm:
                http_get(port, "/api/search?" + urlencode({"q": q}))

            def fetch(i: int, light: bool) -> None:
                params = {"q": over_http[i], **({"fields": ",".join(LIGHT_FIELDS)} if light else {})}
                status, _body = http_get(port, "/api/search?" + urlencode(params))
                assert status == 200, status

            rows.append(line(f"HTTP (gunicorn, 2 workers), {len(over_http)} queries", *alternating(
                len(over_http), lambda i: fetch(i, False), lambda i: fetch(i, True),
            )))
    print(f"Reuters-21578, {len(articles):,} articles; page of 10 by relevance, default facets; medians")
    print("| where | full page ms | fields=id,title,url ms | light / full |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
