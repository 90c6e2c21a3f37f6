"""Side-by-side build benchmark: a full rebuild by our bulk segment writer and by Whoosh's
writer, against SQLite FTS5 and Tantivy, on the same articles in one run, several rounds.

    .venv/bin/python bench/build_speed.py [--scales 1,5] [--rounds 3] [--baseline ../main] [--engines fts5,ours,...]

For each engine: median build seconds and articles/s, and the peak resident memory of the
build (this process and its descendants, sampled every 0.2 s from /proc) above what the
process held before it. The report goes to stdout, progress to stderr.

``--baseline DIR`` adds a row for our rebuild as another checkout's code does it (e.g. main
before a change), in a child process given the same articles, interleaved with the others:
a before/after under the same load (its peak memory includes the child's copy of the
articles). ``--engines`` picks the rows (default: all; ``baseline`` only with ``--baseline``).
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
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
from bench.speed import SearchsvcEngine, build_seconds, log  # noqa: E402
from searchsvc.articles import Article  # noqa: E402


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def _descendants(pid: int) -> list[int]:
    """Children, and theirs (the baseline's rebuild forks its own workers), from one pass over
    /proc: a pass takes 5-20 ms on this machine, and one per child kept a core busy."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # exited while we looked
        parents.setdefault(parent, []).append(int(stat.parent.name))
    found, waiting = [], list(parents.get(pid, []))
    while waiting:
        child = waiting.pop()
        found.append(child)
        waiting.extend(parents.get(child, []))
    return found


SAMPLE_SECONDS = 0.2  # how often PeakMemory looks: builds take seconds, and each look costs a /proc pass


class PeakMemory:
    """The largest summed RSS of this process and its descendants while in the block."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            me = os.getpid()
            self.peak = max(self.peak, _rss_mb(me) + sum(_rss_mb(child) for child in _descendants(me)))

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


# Run by the baseline's child process: its own code's rebuild of the pickled articles; prints seconds.
_BASELINE_BUILD = """
import pickle, sys, time
sys.path.insert(0, sys.argv[1])
from searchsvc.indexer import index_articles
from searchsvc.store import IndexStore
with open(sys.argv[2], "rb") as source:
    articles = pickle.load(source)
started = time.perf_counter()
index_articles(articles, IndexStore(sys.argv[3]))
print(time.perf_counter() - started)
"""


class BaselineEngine:
    """Our rebuild by another checkout's code, in a child process (its own imports); the build
    seconds are the child's own timing of ``index_articles``, without starting and loading."""

    name = "searchsvc, baseline"

    def __init__(self, directory: Path, checkout: Path, articles_file: Path) -> None:
        self.directory, self.checkout, self.articles_file = directory, checkout, articles_file
        self.seconds = 0.0

    def build(self, articles: Sequence[Article]) -> None:
        command = [sys.executable, "-c", _BASELINE_BUILD, str(self.checkout), str(self.articles_file), str(self.directory / "index")]
        self.seconds = float(subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,5")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout (e.g. ../main): its rebuild as a row")
    keys = ["fts5", "tantivy", "ours", "whoosh-writer", "baseline"]
    parser.add_argument("--engines", default=",".join(keys), help=f"rows to build, comma-separated, of: {', '.join(keys)}")
    args = parser.parse_args(argv)
    chosen = args.engines.split(",")
    if unknown := set(chosen) - set(keys):
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    base = load_reuters()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores, shared)")
    if args.baseline:
        print(f"baseline: {args.baseline.resolve()}")
    for factor in [int(s) for s in args.scales.split(",")]:
        articles = scaled(base, factor)
        articles_file = Path(tempfile.mkstemp(prefix="searchsvc-articles-")[1])
        articles_file.write_bytes(pickle.dumps(articles))
        makers: dict[str, Callable[[Path], object]] = {
            "fts5": Fts5Engine,
            "tantivy": TantivyEngine,
            "ours": SearchsvcEngine,
            "whoosh-writer": WhooshWriterEngine,
            "baseline": lambda folder: BaselineEngine(folder, args.baseline.resolve(), articles_file),
        }
        engines = [makers[key] for key in keys if key in chosen and (key != "baseline" or args.baseline)]
        seconds: dict[str, list[float]] = {}
        peaks: dict[str, list[float]] = {}
        for round_number in range(args.rounds):
            for make in engines:  # interleaved, so that load on the machine falls on all alike
                with tempfile.TemporaryDirectory(prefix="searchsvc-build-") as temp:
                    engine = make(Path(temp))
                    log(f"scale {factor} round {round_number + 1}: {engine.name}")
                    with PeakMemory() as memory:
                        took = build_seconds(engine, articles)  # type: ignore[arg-type]
                    took = getattr(engine, "seconds", took)  # the baseline's child timed its own build
                    seconds.setdefault(engine.name, []).append(took)  # type: ignore[attr-defined]
                    peaks.setdefault(engine.name, []).append(memory.peak - memory.baseline)  # type: ignore[attr-defined]
                    getattr(engine, "close", lambda: None)()
        articles_file.unlink()
        fts5 = statistics.median(seconds.get(Fts5Engine.name, [float("nan")]))
        print(f"\nscale {factor}: {len(articles):,} articles, medians of {args.rounds} rounds")
        print(f"{'engine':<28} {'build s':>8} {'articles/s':>11} {'x FTS5':>7} {'peak MB':>8}  (each round's s)")
        for name, took in seconds.items():
            median = statistics.median(took)
            print(f"{name:<28} {median:8.2f} {len(articles) / median:11,.0f} {median / fts5:7.1f} {statistics.median(peaks[name]):8.0f}  "
                  + ", ".join(f"{t:.1f}" for t in took))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
