"""What collapse=duplicates costs: the collapsed results page beside the same page
uncollapsed, in-process, interleaved, at each scale of Reuters-21578 (medians; the machine
is shared: read the ratios). At x5 every article has four exact copies (bench/corpus.py's
``scaled``), so every match is in a group of five or more: the heavy case.

Three kinds of search, each a row: *typical*, the drawn two-word queries; *broad*, single
words among the commonest of Reuters (each matching 30 to 99% of the index, ``BROAD``);
*browse-all*, no query. The whole version is grouped once (search/duplicates.py): the first
collapsed search after a change pays it, printed apart (with whether it finished within the
time budget), and every row's searches after it restrict those groups to their matches.

    .venv/bin/python bench/duplicates.py [--scales 1,5] [--queries 200]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.inprocess import ms, reuters_queries, scaled_service  # noqa: E402
from searchsvc.search import SearchRequest, SearchService  # noqa: E402

BROAD = ("reuter", "said", "mln", "year", "company", "pct")
BROAD_ROUNDS = 20  # searches of each broad word (and of browse-all: 6 x 20), every one distinct


def compare(service: SearchService, requests: list[SearchRequest]) -> tuple[float, float, float]:
    """Median ms of the plain and the collapsed page of each request, interleaved in turn,
    and the median number of matches."""
    plain, collapsed, matches = [], [], []
    for number, request in enumerate(requests):
        steps = [(plain, request), (collapsed, SearchRequest(**{**request.__dict__, "collapse_duplicates": True}))]
        for timings, asked in steps if number % 2 else reversed(steps):
            timings.append(ms(lambda: service.search(asked)))
        matches.append(service.search(request).total)
    return statistics.median(plain), statistics.median(collapsed), statistics.median(matches)


def distinct(number: int, **fields: object) -> SearchRequest:
    """A request no earlier one repeats (never served from the result cache), pages of 10 to 16 hits."""
    return SearchRequest(per_page=10 + number % 7, facet_size=1 + number // 7 % 100, **fields)  # type: ignore[arg-type]


def main() -> None:
    base, queries, factors = reuters_queries(__doc__)
    print("| scale | search | matches (median) | page ms | collapsed page ms | ratio |")
    print("|---|---|---|---|---|---|")
    for factor in factors:
        with scaled_service(base, factor, "duplicates") as service:
            answers = []
            first_ms = ms(lambda: answers.append(service.search(SearchRequest(per_page=9, collapse_duplicates=True))))
            cases = {
                "typical": [distinct(n, q=query) for n, query in enumerate(queries)],
                "broad": [distinct(n, q=BROAD[n % len(BROAD)]) for n in range(len(BROAD) * BROAD_ROUNDS)],
                "browse-all": [distinct(n) for n in range(len(BROAD) * BROAD_ROUNDS)],
            }
            for name, requests in cases.items():
                p, c, matches = compare(service, requests)
                print(f"| x{factor} ({len(base) * factor:,}) | {name} | {matches:,.0f} | {p:.2f} | {c:.2f} | {c / p:.2f}x |", flush=True)
            print(f"| x{factor} | first collapsed search of the version (groups it; {'partial' if answers[0].partial else 'complete'}) | | | {first_ms:.1f} | |", flush=True)


if __name__ == "__main__":
    main()
