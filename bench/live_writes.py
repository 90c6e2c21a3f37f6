"""How fast an API write becomes visible in every gunicorn worker, and what readers see
during a full reindex of Reuters-21578. Run by hand (never by the test suite):

    .venv/bin/python bench/live_writes.py [--writes 30] [--workers 4]

Everything runs on 127.0.0.1: a real gunicorn over a temporary index, writes through
PUT /api/articles/<id>, searches through GET /api/search.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support import DEMO_DIR, SHARED_DIR, Server, build_index, get_json, send  # noqa: E402

KEY = "bench-key"


def visibility_delays(server: Server, writes: int, confirmations: int) -> list[float]:
    """Seconds from a write's 2xx until `confirmations` consecutive searches (new connections,
    so any worker may answer) all find it."""
    delays = []
    for number in range(writes):
        word = f"zebrafish{number}x"
        article = {"title": f"Live {word}", "body": f"The {word} story.", "section": "News"}
        status, _, _ = send("PUT", f"{server.url}/api/articles/live-{number}", article, KEY)
        assert status == 200, status
        written = time.perf_counter()
        streak, streak_start = 0, written
        while streak < confirmations:
            asked = time.perf_counter()
            if get_json(f"{server.url}/api/search?q={word}")[1]["total"] == 1:
                streak, streak_start = streak + 1, streak_start if streak else asked
            else:
                streak = 0
            if asked - written > 10:
                raise RuntimeError(f"write {number} not visible after 10 s")
        # visible everywhere from the start of the first search of the confirming streak
        delays.append(max(0.0, streak_start - written))
    return delays


def searches_during_reindex(server: Server, source: Path, threads: int) -> tuple[Counter[int], float]:
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            for q in ("oil prices", "wheat", '"trade deficit"', "bank*", "yen -dollar"):
                statuses[get_json(f"{server.url}/api/search?q={q.replace(' ', '+')}")[0]] += 1

    workers = [threading.Thread(target=reader) for _ in range(threads)]
    for worker in workers:
        worker.start()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "searchsvc", "reindex", "--no-progress", str(source), "--index-dir", str(server.index_dir)],
        cwd=REPO, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    stop.set()
    for worker in workers:
        worker.join()
    if done.returncode:
        raise RuntimeError(done.stdout + done.stderr)
    return statuses, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=3, help="search threads during the reindex")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        build_index([DEMO_DIR], index_dir)
        env = {"SEARCHSVC_API_KEYS": KEY}
        with Server(index_dir, workers=args.workers, env=env) as server:
            time.sleep(2)  # let every worker boot
            delays = visibility_delays(server, args.writes, confirmations=2 * args.workers)
            print(f"write-to-visible across {args.workers} workers ({args.writes} writes, each confirmed by "
                  f"{2 * args.workers} consecutive searches): median {statistics.median(delays) * 1000:.0f} ms, "
                  f"max {max(delays) * 1000:.0f} ms")
            reuters = SHARED_DIR / "corpora" / "reuters21578" / "reuters.jsonl.gz"
            if not reuters.exists():
                print(f"skipped the reindex part: {reuters} is absent")
                return
            statuses, seconds = searches_during_reindex(server, reuters, args.readers)
            failed = sum(count for status, count in statuses.items() if status != 200)
            print(f"full reindex of Reuters-21578 while searching: {seconds:.0f} s; searches served "
                  f"{sum(statuses.values())}, failed {failed} (statuses {dict(statuses)})")
            status, health = get_json(server.url + "/healthz")
            print(f"after the switch: {health['articles']} articles, generation {health['generation']}")


if __name__ == "__main__":
    main()
