"""What pseudo-relevance feedback costs per results page, in CPU time, by feedback documents.

speed.py's page (top 10 by relevance, the total, section and month counts, snippets) from
one SearchService per feedback setting over one index of Reuters-21578, interleaved per
query. Each page is timed with ``time.thread_time()``: the CPU time this thread used, which
waiting for a core on a shared machine does not inflate (wall-clock p50s moved by 20% from
run to run here at load 7-12). A page with no feedback is the yardstick: the ratios to it
compare runs, and checkouts, on different days.

    .venv/bin/python bench/feedback_cost.py [--scales 1] [--queries 900] [--feedback-docs 0 3 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from a checkout

from bench.corpus import draw_queries, load_reuters  # noqa: E402
from bench.inprocess import scaled_service  # noqa: E402
from searchsvc.search import DateInterval, SearchRequest, SearchService, SearchSettings  # noqa: E402

WARMUP_QUERIES = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1", help="comma-separated corpus multiples (default 1)")
    parser.add_argument("--queries", type=int, default=900, help="distinct two-word queries timed (default 900)")
    parser.add_argument("--feedback-docs", type=int, nargs="+", default=[0, 3, 10], metavar="N", help="settings compared (0: off)")
    args = parser.parse_args()
    base = load_reuters()
    pool = [" ".join(words) for words in draw_queries(base, WARMUP_QUERIES + args.queries)]
    warmup, queries = pool[:WARMUP_QUERIES], pool[WARMUP_QUERIES:]
    defaults = SearchSettings()
    for factor in [int(part) for part in args.scales.split(",")]:
        with scaled_service(base, factor, "feedback") as built:
            services = {
                documents: SearchService(built.store, replace(defaults, ranking=replace(defaults.ranking, feedback_docs=documents)))
                for documents in args.feedback_docs
            }
            cpu_ms: dict[int, list[float]] = {documents: [] for documents in services}
            for text in warmup:
                for service in services.values():
                    service.search(SearchRequest(q=text, per_page=10, date_interval=DateInterval.MONTH))
            for text in queries:  # each query once per service: the result cache never answers
                for documents, service in services.items():
                    started = time.thread_time()
                    service.search(SearchRequest(q=text, per_page=10, date_interval=DateInterval.MONTH))
                    cpu_ms[documents].append((time.thread_time() - started) * 1000)
        yardstick = statistics.median(cpu_ms[min(cpu_ms)])
        print(f"scale {factor} ({len(base) * factor:,} articles), {len(queries)} distinct queries, CPU ms per page:")
        for documents, values in cpu_ms.items():
            p50 = statistics.median(values)
            print(f"  feedback {documents:>2} docs  p50 {p50:.2f}  mean {statistics.mean(values):.2f}  p50 / feedback {min(cpu_ms)} docs {p50 / yardstick:.3f}")


if __name__ == "__main__":
    main()
