"""What our in-process results page costs without its two most expensive features, beside FTS5.

An experiment for issue 5's scale-1 p50 target, not a configuration to serve: speed.py's
page (top 10 by relevance, the total, section and month counts, a snippet per hit) from four
SearchServices over one index, interleaved per query with FTS5's page:

- full: as served;
- no feedback: pseudo-relevance feedback off (``SEARCHSVC_FEEDBACK_DOCS=0``, a real setting);
- no highlighting: titles and snippets as plain escaped text (a snippet is the body's
  opening, what a hit without query words shows);
- neither.

    .venv/bin/python bench/page_parts.py [--queries 600]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import draw_queries, load_reuters  # noqa: E402
from bench.peers import Fts5Engine  # noqa: E402
from bench.speed import BASELINE, WARMUP_QUERIES, SearchsvcEngine, latency_rows, log, table, time_pages  # noqa: E402
from searchsvc.indexer import index_articles  # noqa: E402
from searchsvc.search import SearchService, SearchSettings  # noqa: E402
from searchsvc.search.highlight import Highlighter  # noqa: E402
from searchsvc.search.ranking import RankingSettings  # noqa: E402
from searchsvc.store import IndexStore  # noqa: E402


class PlainHighlighter(Highlighter):
    """No query highlighting: the title escaped, the snippet the body's escaped opening."""

    def title(self, title: str, words: set[str]) -> str:
        return escape(title, quote=False)

    def snippet(self, body: str, words: set[str]) -> str:
        return super().snippet(body, set())


class Variant:
    """Our in-process service with feedback and highlighting as asked, answering speed.py's request."""

    page = SearchsvcEngine.page  # the benchmark's page: the same SearchRequest, the same fields read

    def __init__(self, store: IndexStore, name: str, feedback: bool, highlighting: bool) -> None:
        self.name = name
        self._service = SearchService(store, SearchSettings(ranking=RankingSettings() if feedback else RankingSettings(feedback_docs=0)))
        if not highlighting:
            self._service._highlighter = PlainHighlighter()  # the service makes its own; this experiment swaps it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=600, help="distinct two-word queries timed (default 600)")
    args = parser.parse_args()
    log("loading Reuters")
    articles = load_reuters()
    pool = draw_queries(articles, WARMUP_QUERIES + args.queries)
    warmup, queries = pool[:WARMUP_QUERIES], pool[WARMUP_QUERIES:]
    with tempfile.TemporaryDirectory(prefix="searchsvc-parts-") as temp:
        fts5 = Fts5Engine(Path(temp))
        log(f"building {fts5.name} and ours ({len(articles):,} articles)")
        fts5.build(articles)
        store = IndexStore(Path(temp) / "searchsvc")
        index_articles(articles, store)
        engines: list = [fts5] + [
            Variant(store, name, feedback, highlighting)
            for name, feedback, highlighting in [
                ("searchsvc full", True, True),
                ("no feedback", False, True),
                ("no highlighting", True, False),
                ("neither", False, False),
            ]
        ]
        log(f"timing {len(queries)} queries on {len(engines)} engines, interleaved")
        timings = time_pages(engines, queries, warmup)
        fts5.close()
    print(f"In-process page latency at scale 1 ({len(queries)} distinct queries, engines interleaved per query; ratios to {BASELINE}'s):")
    print(table(["engine", "p50 ms", "p95 ms", "p99 ms", "p50 x", "p95 x", "p99 x"], latency_rows(timings, lambda name: [])))


if __name__ == "__main__":
    main()
