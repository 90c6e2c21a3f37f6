"""What the removal list costs a live write: an upsert and a delete through IndexStore.write
on the demo index, with no removed ids and with a list of N removed ids (a delete rewrites the
whole list; an upsert of an id not on it leaves it alone). Interleaved rounds, medians.

    .venv/bin/python bench/removals.py [--removed 10000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from searchsvc import removals  # noqa: E402
from searchsvc.articles import load_article  # noqa: E402
from searchsvc.indexer import reindex  # noqa: E402
from searchsvc.store import IndexStore  # noqa: E402


def store_with(folder: Path, removed: int) -> IndexStore:
    store = IndexStore(folder / "index")
    reindex([REPO / "demo"], store)
    if removed:
        generation = store.current()
        now = datetime.now(timezone.utc)
        listed = removals.Removals(removals.Removal(f"gone-{number}", now) for number in range(removed))
        removals.save(generation.path, generation.version(), listed)
    return store


def timed_ms(store: IndexStore, change: tuple[str, object]) -> float:
    started = time.perf_counter()
    store.write([change])
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--removed", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        stores = {0: store_with(Path(scratch) / "none", 0), options.removed: store_with(Path(scratch) / "many", options.removed)}
        times: dict[tuple[int, str], list[float]] = {(size, op): [] for size in stores for op in ("upsert", "delete")}
        for number in range(options.rounds):
            article = load_article({"id": f"bench-{number}", "title": "Bench", "body": "A bench article.", "section": "News"})
            for size, store in stores.items():
                times[size, "upsert"].append(timed_ms(store, ("upsert", article)))
                times[size, "delete"].append(timed_ms(store, ("delete", article.id)))
    for (size, op), values in times.items():
        print(f"{op:6} with {size:>6,} removed ids: p50 {statistics.median(values):6.1f} ms")


if __name__ == "__main__":
    main()
