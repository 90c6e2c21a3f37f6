"""What a coverage timeline costs beside the search page of the same query, in-process,
interleaved, at each scale of Reuters-21578 (medians; the machine is shared: read ratios).

    .venv/bin/python bench/timeline.py [--scales 1,5] [--queries 200]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.inprocess import ms, reuters_queries, scaled_service  # noqa: E402
from searchsvc.search import SearchRequest, TimelineInterval  # noqa: E402


def main() -> None:
    base, queries, factors = reuters_queries(__doc__)
    print("| scale | search page ms | timeline (month) ms | timeline (day) ms | ratio month/page | browse-all timeline (day) ms |")
    print("|---|---|---|---|---|---|")
    for factor in factors:
        with scaled_service(base, factor, "timeline") as service:
            page, month, day = [], [], []
            for number, query in enumerate(queries):
                request = SearchRequest(q=query, per_page=10 + number % 7)  # distinct: never the result cache
                steps = [(page, lambda: service.search(request)),
                         (month, lambda: service.timeline(request, TimelineInterval.MONTH)),
                         (day, lambda: service.timeline(request, TimelineInterval.DAY))]
                for timings, call in steps if number % 2 else reversed(steps):
                    timings.append(ms(call))
            browse = [ms(lambda: service.timeline(SearchRequest(), TimelineInterval.DAY)) for _ in range(20)]
            p, m, d = (statistics.median(values) for values in (page, month, day))
            print(f"| x{factor} ({len(base) * factor:,}) | {p:.2f} | {m:.2f} | {d:.2f} | {m / p:.2f}x | {statistics.median(browse):.2f} |", flush=True)


if __name__ == "__main__":
    main()
