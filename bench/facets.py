"""What the author and tag facets cost: the same searches with today's facets (section, date)
and with all four, interleaved, at each scale of the Reuters corpus.

Reuters-21578 has no authors or tags, so each article is given some, drawn with a fixed
seed: one or two of 400 author names (Zipf-distributed, as bylines are) and two to four of
its own title words as tags (a real, long-tailed vocabulary). The cost measured is that of
counting them, which depends on how many (document, value) pairs there are, not on the names.

    .venv/bin/python bench/facets.py [--scales 1,5] [--queries 200]

The report goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.corpus import Query, draw_queries, load_reuters, scaled, title_words  # noqa: E402
from searchsvc.articles import Article  # noqa: E402
from searchsvc.indexer import index_articles  # noqa: E402
from searchsvc.search import DEFAULT_FACETS, FACET_NAMES, SearchRequest, SearchService  # noqa: E402
from searchsvc.store import IndexStore  # noqa: E402

BYLINE_SEED = 16
AUTHORS = [f"Reporter {number:03d}" for number in range(1, 401)]
BROWSE_REPEATS = 40


def with_bylines(articles: Sequence[Article], seed: int = BYLINE_SEED) -> list[Article]:
    """Each article with one or two Zipf-drawn authors and two to four title words as tags."""
    rng = random.Random(seed)
    weights = [1.0 / rank for rank in range(1, len(AUTHORS) + 1)]
    tagged = []
    for article in articles:
        authors = tuple(dict.fromkeys(rng.choices(AUTHORS, weights=weights, k=rng.randint(1, 2))))
        words = title_words(article.title)
        tags = tuple(rng.sample(words, min(len(words), rng.randint(2, 4))))
        tagged.append(replace(article, authors=authors, tags=tags))
    return tagged


def timed_ms(service: SearchService, request: SearchRequest) -> tuple[float, int]:
    started = time.perf_counter()
    result = service.search(request)
    return (time.perf_counter() - started) * 1000, result.total


def compare(service: SearchService, requests: Sequence[tuple[SearchRequest, SearchRequest]]) -> tuple[list[float], list[float], list[int]]:
    """Each pair timed once per variant, the order alternating so warm caches favour neither."""
    today, all_four, totals = [], [], []
    for number, (plain, faceted) in enumerate(requests):
        order = ((plain, today), (faceted, all_four)) if number % 2 == 0 else ((faceted, all_four), (plain, today))
        for request, timings in order:
            ms, total = timed_ms(service, request)
            timings.append(ms)
        totals.append(total)
    return today, all_four, totals


def row(label: str, today: list[float], all_four: list[float], totals: list[int]) -> str:
    base, more = statistics.median(today), statistics.median(all_four)
    return f"| {label} | {statistics.median(totals):,.0f} | {base:.2f} | {more:.2f} | {more - base:+.2f} | {more / base:.2f}x |"


def measure(factor: int, base: list[Article], queries: Sequence[Query]) -> list[str]:
    articles = scaled(base, factor)
    with tempfile.TemporaryDirectory(prefix="bench-facets-") as folder:
        store = IndexStore(Path(folder) / "index")
        started = time.perf_counter()
        index_articles(articles, store)
        print(f"x{factor}: {len(articles):,} articles indexed in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        service = SearchService(store)
        service.search(SearchRequest(facets=FACET_NAMES))  # load the columns once, as a worker's first search does
        # Distinct requests throughout, so the result cache never answers: queries differ, and
        # browsing repeats differ in facet_size (which only the author and tag facets read).
        searches = [(SearchRequest(q=" ".join(words)), SearchRequest(q=" ".join(words), facets=FACET_NAMES)) for words in queries]
        browses = [
            (SearchRequest(facet_size=size, facets=DEFAULT_FACETS), SearchRequest(facet_size=size, facets=FACET_NAMES))
            for size in range(1, BROWSE_REPEATS + 1)
        ]
        lines = [row(f"x{factor} two-word queries ({len(queries)})", *compare(service, searches))]
        lines.append(row(f"x{factor} browse all ({BROWSE_REPEATS})", *compare(service, browses)))
        return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,5", help="corpus multiples, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    base = with_bylines(load_reuters())
    queries = draw_queries(base, args.queries)
    pairs = sum(len(a.authors) + len(a.tags) for a in base)
    print(f"Reuters-21578: {len(base):,} articles, {pairs:,} (article, author or tag) pairs at x1; numpy {np.__version__}")
    print("In-process SearchService.search, ms, medians; 'today' = facets=section,date, 'all four' = facets=section,date,author,tag.\n")
    print("| workload | median matches | today ms | all four ms | added ms | ratio |")
    print("|---|---|---|---|---|---|")
    for factor in (int(part) for part in args.scales.split(",")):
        for line in measure(factor, base, queries):
            print(line, flush=True)


if __name__ == "__main__":
    main()
