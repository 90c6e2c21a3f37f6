"""Side-by-side build benchmark: a full rebuild by our bulk segment writer and by Whoosh's
writer, against SQLite FTS5 and Tantivy, on the same articles in one run, several rounds.

    .venv/bin/python bench/build_speed.py [--scales 1,5] [--rounds 3]

For each engine: median build seconds and articles/s, and the peak resident memory of the
build (this process and its children, sampled every 50 ms from /proc) above what the
process held before it. The report goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import load_reuters, scaled  # noqa: E402
from bench.peers import Fts5Engine, TantivyEngine  # noqa: E402
from bench.speed import SearchsvcEngine, build_seconds, children_of, log  # noqa: E402
from searchsvc.articles import Article  # noqa: E402


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


class PeakMemory:
    """The largest summed RSS of this process and its children while in the block."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            me = os.getpid()
            self.peak = max(self.peak, _rss_mb(me) + sum(_rss_mb(child) for child in children_of(me)))

    def __enter__(self) -> PeakMemory:
        self.baseline = _rss_mb(os.getpid())
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class WhooshWriterEngine(SearchsvcEngine):
    """Our index built with Whoosh's (parallel) writer: the rebuild before the bulk writer."""

    name = "searchsvc, Whoosh's writer"

    def build(self, articles: Sequence[Article]) -> None:
        os.environ["SEARCHSVC_BULK_WRITER"] = "0"
        try:
            super().build(articles)
        finally:
            os.environ.pop("SEARCHSVC_BULK_WRITER")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,5")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    base = load_reuters()
    engines: list[Callable[[Path], object]] = [Fts5Engine, TantivyEngine, SearchsvcEngine, WhooshWriterEngine]
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores, shared)")
    for factor in [int(s) for s in args.scales.split(",")]:
        articles = scaled(base, factor)
        seconds: dict[str, list[float]] = {}
        peaks: dict[str, list[float]] = {}
        for round_number in range(args.rounds):
            for make in engines:  # interleaved, so that load on the machine falls on all alike
                with tempfile.TemporaryDirectory(prefix="searchsvc-build-") as temp:
                    engine = make(Path(temp))
                    log(f"scale {factor} round {round_number + 1}: {engine.name}")
                    with PeakMemory() as memory:
                        took = build_seconds(engine, articles)  # type: ignore[arg-type]
                    seconds.setdefault(engine.name, []).append(took)  # type: ignore[attr-defined]
                    peaks.setdefault(engine.name, []).append(memory.peak - memory.baseline)  # type: ignore[attr-defined]
                    getattr(engine, "close", lambda: None)()
        fts5 = statistics.median(seconds[Fts5Engine.name])
        print(f"\nscale {factor}: {len(articles):,} articles, medians of {args.rounds} rounds")
        print(f"{'engine':<28} {'build s':>8} {'articles/s':>11} {'x FTS5':>7} {'peak MB':>8}  (each round's s)")
        for name, took in seconds.items():
            median = statistics.median(took)
            print(f"{name:<28} {median:8.2f} {len(articles) / median:11,.0f} {median / fts5:7.1f} {statistics.median(peaks[name]):8.0f}  "
                  + ", ".join(f"{t:.1f}" for t in took))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
