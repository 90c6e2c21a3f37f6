"""CPU time per article of index-time analysis alone: the ``body``, ``title`` and ``words``
fields' ``bulk_postings``, called as the bulk segment writer calls them, on Reuters articles.

    .venv/bin/python bench/analysis_cost.py [--articles 8000] [--checkout ../main]

``--checkout`` measures another checkout's code instead (run the two one after the other, or
alternated, on the same load). Prints the median and the minimum of 5 passes (the first pass
also fills the per-process stem table).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=8_000)
    parser.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.checkout.resolve()))
    from bench.corpus import load_reuters
    from searchsvc.store import build_schema

    articles = load_reuters()[: args.articles]
    texts = [(article.body, article.title, article.title + "\n" + article.body) for article in articles]
    schema = build_schema()
    body, title, words = (schema[name].format.bulk_postings for name in ("body", "title", "words"))
    passes = []
    for _ in range(5):
        started = time.process_time()
        for body_text, title_text, words_text in texts:
            body(body_text)
            title(title_text)
            words(words_text)
        passes.append((time.process_time() - started) / len(texts) * 1e6)
    passes.sort()
    print(f"{args.checkout}: {len(texts):,} articles, analysis {passes[2]:.0f} µs per article (median of 5; min {passes[0]:.0f})")


if __name__ == "__main__":
    main()
