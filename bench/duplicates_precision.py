"""Precision of collapse=duplicates on Reuters-21578, judged by hand.

``--sample``: index Reuters-21578, collapse every article into its groups and print a
fixed-seed sample of the groups with more than one member (ids, titles, the start of each
body) for a person to judge: is every member the same story (a copy, a rewrite, a
correction), or did articles that merely share a topic or a template get merged?
The verdicts are kept in bench/duplicates_judged.json (ids and verdicts only, never text).
``--score`` (default) re-indexes, checks the judged groups are still found as judged, and
prints the precision and how many groups the whole corpus has.

    .venv/bin/python bench/duplicates_precision.py [--sample 30]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.corpus import load_reuters  # noqa: E402
from searchsvc.indexer import index_articles  # noqa: E402
from searchsvc.search import SearchService, duplicates  # noqa: E402
from searchsvc.store import IndexStore  # noqa: E402

JUDGED = REPO / "bench" / "duplicates_judged.json"
SEED = 17


def all_groups(service: SearchService) -> list[tuple[str, ...]]:
    """Every group of more than one article of the whole index, as a collapsed browse of
    everything finds them (search/duplicates.py over every document; the API pages only to
    10,000 hits), representative first."""
    with service._using() as view:  # noqa: SLF001 (a measurement of the whole index)
        docs = view.live_docs()
        found = duplicates.group(view.columns.bands[docs], view.columns.ticks[docs])
        ids = [view.searcher.stored_fields(int(d))["id"] for d in docs]
    return [(ids[r], *(ids[o] for o in found.others(int(r)))) for r in found.representatives.tolist() if found.others(int(r)).size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, help="keep the index here (reused when present)")
    parser.add_argument("--sample", type=int, default=0, help="print this many groups to judge instead of scoring")
    parser.add_argument("--seed", type=int, default=SEED, help="of the sample")
    args = parser.parse_args()
    articles = load_reuters()
    with tempfile.TemporaryDirectory(prefix="bench-dup-precision-") as folder:
        store = IndexStore(args.index_dir or Path(folder) / "index")
        if store.current_name() is None:
            index_articles(articles, store)
        service = SearchService(store)
        groups = all_groups(service)
        members = sum(len(g) for g in groups)
        print(f"{len(articles):,} articles; {len(groups):,} groups of 2 or more holding {members:,} articles")
        if args.sample:
            for group in random.Random(args.seed).sample(groups, args.sample):
                print("\n=== group", json.dumps(sorted(group)))
                for article_id in group:
                    article = service.article(article_id)
                    print(f"  [{article_id}] {article.published:%Y-%m-%d %H:%M} {article.title!r}\n      {' '.join(article.body.split())[:300]!r}")
            return
        judged = json.loads(JUDGED.read_text("utf-8"))["groups"]
        found = {frozenset(g) for g in groups}
        for sample in sorted({j["sample"] for j in judged}):
            drawn = [j for j in judged if j["sample"] == sample]
            still = [j for j in drawn if frozenset(j["ids"]) in found]
            same = sum(j["verdict"] == "same story" for j in still)
            print(f"sample {sample}: {len(still)} of {len(drawn)} judged groups found again; every member the same story in "
                  f"{same} of {len(still)} (precision {same / max(len(still), 1):.2f})")

if __name__ == "__main__":
    main()
