"""What collapse=duplicates costs: the collapsed results page beside the same page
uncollapsed, in-process, interleaved, at each scale of Reuters-21578 (medians; the machine
is shared: read the ratios). At x5 every article has four exact copies (bench/corpus.py's
``scaled``), so every match is in a group of five or more: the heavy case. Browsing everything
without filters groups the whole index once per index version: the last column is that
first collapsed browse, the median of the others is served from it.

    .venv/bin/python bench/duplicates.py [--scales 1,5] [--queries 200]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.inprocess import ms, reuters_queries, scaled_service  # noqa: E402
from searchsvc.search import SearchRequest  # noqa: E402


def main() -> None:
    base, queries, factors = reuters_queries(__doc__)
    print("| scale | matches (median) | page ms | collapsed page ms | ratio | browse-all page ms | browse-all collapsed ms | ratio | first collapsed browse ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for factor in factors:
        with scaled_service(base, factor, "duplicates") as service:
            plain, collapsed, matches = [], [], []
            for number, query in enumerate(queries):
                request = SearchRequest(q=query, per_page=10 + number % 7)  # distinct: never the result cache
                steps = [(plain, SearchRequest(**{**request.__dict__})), (collapsed, SearchRequest(**{**request.__dict__, "collapse_duplicates": True}))]
                for timings, asked in steps if number % 2 else reversed(steps):
                    timings.append(ms(lambda: service.search(asked)))
                matches.append(service.search(request).total)
            first = ms(lambda: service.search(SearchRequest(per_page=9, collapse_duplicates=True)))  # groups the whole index
            browse: tuple[list[float], list[float]] = ([], [])
            for number in range(20):
                for timings, collapse in ((browse[0], False), (browse[1], True))[:: 1 if number % 2 else -1]:
                    timings.append(ms(lambda: service.search(SearchRequest(per_page=10 + number, collapse_duplicates=collapse))))
            p, c, bp, bc = (statistics.median(values) for values in (plain, collapsed, *browse))
            print(f"| x{factor} ({len(base) * factor:,}) | {statistics.median(matches):.0f} | {p:.2f} | {c:.2f} | {c / p:.2f}x | {bp:.2f} | {bc:.2f} | {bc / bp:.2f}x | {first:.1f} |", flush=True)


if __name__ == "__main__":
    main()
