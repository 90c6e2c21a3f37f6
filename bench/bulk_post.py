"""The rate of bulk live writes: Reuters articles sent to ``POST /api/articles`` in batches,
through a real gunicorn over the demo index, for this checkout and, with ``--baseline``,
another one in the same run (alternated round by round, so the load falls on both alike).

    .venv/bin/python bench/bulk_post.py [--articles 4000] [--batch 500] [--rounds 3] [--baseline ../main]

Live writes keep Whoosh's writer (one commit per request); the bulk rebuild's writer is not
used here. Prints each round's articles/s and the median per checkout.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import REUTERS  # noqa: E402
from tests.support import DEMO_DIR, UNLIMITED, free_port, get_json, send  # noqa: E402

KEY = "bench-bulk-key"


@contextmanager
def serving(checkout: Path, index_dir: Path) -> Iterator[str]:
    """The checkout's demo index rebuilt in ``index_dir`` and served by its gunicorn (2 workers)."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "SEARCHSVC_INDEX_DIR": str(index_dir), "SEARCHSVC_API_KEYS": KEY, **UNLIMITED}
    subprocess.run([sys.executable, "-m", "searchsvc", "reindex", "--no-progress", str(DEMO_DIR)], cwd=checkout, env=env,
                   check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--config", str(checkout / "gunicorn.conf.py"),
                               "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                              cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:  # until it answers (or has died)
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn of {checkout} exited with {server.returncode}")
            try:
                if get_json(url + "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def post_all(url: str, articles: list[dict], batch: int) -> float:
    """Seconds from the first POST to the last acknowledgement."""
    started = time.perf_counter()
    for begin in range(0, len(articles), batch):
        status, body, _ = send("POST", f"{url}/api/articles", articles[begin : begin + batch], KEY)
        if status != 200:
            raise RuntimeError(f"POST answered {status}: {body}")
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=4_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout (e.g. ../main): its service as a row")
    args = parser.parse_args(argv)
    with gzip.open(REUTERS, "rt", encoding="utf-8") as lines:
        articles = [json.loads(line) for line, _ in zip(lines, range(args.articles))]
    checkouts = {"searchsvc": REPO} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    rates: dict[str, list[float]] = {name: [] for name in checkouts}
    for round_number in range(args.rounds):
        order = list(checkouts.items())
        if round_number % 2:
            order.reverse()
        for name, checkout in order:
            with tempfile.TemporaryDirectory(prefix="searchsvc-bulk-post-") as folder, serving(checkout, Path(folder) / "index") as url:
                rates[name].append(len(articles) / post_all(url, articles, args.batch))
            print(f"round {round_number + 1}, {name}: {rates[name][-1]:,.0f} articles/s", flush=True)
    print(f"\n{len(articles):,} Reuters articles in POSTs of {args.batch}, medians of {args.rounds} rounds")
    for name, values in rates.items():
        print(f"{name:<12} {statistics.median(values):>8,.0f} articles/s  ({', '.join(f'{v:,.0f}' for v in values)})")


if __name__ == "__main__":
    main()
