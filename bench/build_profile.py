"""CPU time (or a cProfile) of one process building one bulk segment of Reuters articles.

    .venv/bin/python bench/build_profile.py [--articles 47600] [--profile]

A ×5 rebuild gives each of the 2 processes one segment of 47,600 articles; this builds such a
segment alone with ``bulk_segments.build_segment`` (the first N articles of Reuters repeated as
often as needed), making the articles' fields as the process does (``articles_fields``, a
chunk at a time, with their near-duplicate signatures), and prints its CPU time, which the
machine's load moves less than wall time. ``--profile`` prints cProfile's tables instead (slower).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import chain
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from whoosh import index  # noqa: E402

from bench.corpus import load_reuters, scaled  # noqa: E402
from searchsvc import bulk_rebuild, bulk_segments  # noqa: E402
from searchsvc.store import articles_fields, build_schema  # noqa: E402


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=47_600)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    base = load_reuters()
    articles = scaled(base, -(-args.articles // len(base)))[: args.articles]
    with tempfile.TemporaryDirectory(prefix="searchsvc-profile-") as folder:
        ix = index.create_in(folder, build_schema())
        chunk = bulk_rebuild.CHUNK_DOCUMENTS
        chunks = [articles[start : start + chunk] for start in range(0, len(articles), chunk)]
        documents = chain.from_iterable(map(articles_fields, chunks))
        profile = cProfile.Profile() if args.profile else None
        started = time.process_time()
        if profile:
            profile.runcall(bulk_segments.build_segment, ix, documents)
        else:
            bulk_segments.build_segment(ix, documents)
        cpu = time.process_time() - started
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(25)
    print(f"{len(articles):,} articles, one segment: {cpu:.1f} s CPU, {len(articles) / cpu:,.0f} articles/s per core")


if __name__ == "__main__":
    main()
