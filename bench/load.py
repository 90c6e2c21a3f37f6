"""Bounded load test of the search API over Reuters-21578, on 127.0.0.1 only.

2 gunicorn workers (rate limits off), 16 concurrent keep-alive clients for 20 s, a mix of
ordinary, phrase, field (title:) and filtered (section, dates) searches. Reports requests/s,
p50/p99 latency, non-2xx responses and socket errors; both must be zero (exit status 1
otherwise). With --with-reindex, a full `searchsvc reindex` of Reuters runs at the same
time, and the load goes on until the new generation is live (at least --seconds).

    .venv/bin/python bench/load.py [--with-reindex] [--index-dir DIR] [--seconds 20]

The Reuters index is built first into --index-dir (default: a temporary folder) unless
that folder already holds one. Needs ../shared (the public corpora); run by hand.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from whoosh.analysis import STOP_WORDS

REPO = Path(__file__).resolve().parents[1]
REUTERS = REPO.parent / "shared" / "corpora" / "reuters21578" / "reuters.jsonl.gz"
SECTIONS = ("earn", "acq", "crude", "trade", "money-fx", "grain", "interest", "ship")
QUERY_POOL = 2_000
TIMEOUT_S = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--index-dir", type=Path, help="reuse (or build once into) this folder")
    parser.add_argument("--with-reindex", action="store_true", help="run a full reindex of Reuters during the load")
    parser.add_argument("--seed", type=int, default=1987)
    args = parser.parse_args()
    if not REUTERS.exists():
        print(f"needs the shared corpora at {REUTERS}", file=sys.stderr)
        return 2

    index_dir = args.index_dir or Path(tempfile.mkdtemp(prefix="searchsvc-load-")) / "index"
    if not (index_dir / "CURRENT").exists():
        print(f"building the Reuters index in {index_dir} …", file=sys.stderr)
        subprocess.run(reindex_command(index_dir), check=True, stdout=subprocess.DEVNULL)
    queries = query_mix(random.Random(args.seed))

    with gunicorn(index_dir, args.workers) as port:
        warm_up(port, queries)
        generation_before = health(port)["generation"]
        reindex = subprocess.Popen(reindex_command(index_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) if args.with_reindex else None
        started = time.perf_counter()
        stop = threading.Event()
        results = [Results() for _ in range(args.clients)]
        clients = [threading.Thread(target=client, args=(port, queries, random.Random(args.seed + i), stop, results[i])) for i in range(args.clients)]
        for thread in clients:
            thread.start()
        time.sleep(args.seconds)
        reindex_failed = False
        if reindex is not None:
            _, errors = reindex.communicate()
            reindex_failed = reindex.returncode != 0
            if reindex_failed:
                print(errors.decode(errors="replace")[-2000:], file=sys.stderr)
            time.sleep(2)  # keep loading while every worker moves to the new generation
        stop.set()
        for thread in clients:
            thread.join()
        elapsed = time.perf_counter() - started
        generation_after = health(port)["generation"]

    total = Results.merge(results)
    latencies = np.array(total.latencies_ms)
    print(f"load: {args.clients} clients, {args.workers} gunicorn workers, {elapsed:.1f} s"
          + (f", concurrent full reindex (generation {generation_before} -> {generation_after})" if reindex else ""))
    print(f"requests: {latencies.size}  ({latencies.size / elapsed:.1f} requests/s)")
    print(f"latency: p50 {np.percentile(latencies, 50):.1f} ms, p99 {np.percentile(latencies, 99):.1f} ms, max {latencies.max():.1f} ms")
    print("by kind: " + ", ".join(f"{kind} {count}" for kind, count in sorted(total.kinds.items())))
    print(f"non-2xx responses: {sum(total.non_2xx.values())} {dict(total.non_2xx) or ''}")
    print(f"socket errors: {sum(total.socket_errors.values())} {dict(total.socket_errors) or ''}")
    print(f"partial answers: {total.partial}")
    switched = reindex is None or generation_after != generation_before
    failed = total.non_2xx or total.socket_errors or reindex_failed or not switched
    if reindex is not None and not switched:
        print("the reindex did not switch the live generation", file=sys.stderr)
    return 1 if failed else 0


def reindex_command(index_dir: Path) -> list[str]:
    return [sys.executable, "-m", "searchsvc", "reindex", str(REUTERS), "--index-dir", str(index_dir), "--no-progress"]


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    non_2xx: Counter[int] = field(default_factory=Counter)
    socket_errors: Counter[str] = field(default_factory=Counter)
    partial: int = 0

    @staticmethod
    def merge(parts: list["Results"]) -> "Results":
        total = Results()
        for part in parts:
            total.latencies_ms += part.latencies_ms
            total.kinds += part.kinds
            total.non_2xx += part.non_2xx
            total.socket_errors += part.socket_errors
            total.partial += part.partial
        return total


def client(port: int, queries: list[tuple[str, str]], rng: random.Random, stop: threading.Event, results: Results) -> None:
    """One keep-alive connection, reopened after a socket error; every answer recorded."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    while not stop.is_set():
        kind, path = rng.choice(queries)
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            results.socket_errors[type(error).__name__] += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
            continue
        results.latencies_ms.append((time.perf_counter() - started) * 1000)
        results.kinds[kind] += 1
        if not 200 <= response.status < 300:
            results.non_2xx[response.status] += 1
        elif json.loads(body)["partial"]:
            results.partial += 1
    connection.close()


def query_mix(rng: random.Random) -> list[tuple[str, str]]:
    """Searches of four kinds built from words of Reuters titles: (kind, request path)."""
    titles: list[list[str]] = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as lines:
        for line in lines:
            found = (w.lower() for w in re.findall(r"[A-Za-z]{4,}", json.loads(line)["title"]))
            words = [w for w in found if w not in STOP_WORDS]  # a stop word alone is no query (400)
            if len(words) >= 2:
                titles.append(words)
    kinds = ("ordinary", "phrase", "field", "filtered")
    mix: list[tuple[str, str]] = []
    for i in range(QUERY_POOL):
        kind = kinds[i % len(kinds)]
        words = rng.choice(titles)
        if kind == "ordinary":
            params: dict[str, object] = {"q": " ".join(rng.sample(words, min(2, len(words))))}
        elif kind == "phrase":
            start = rng.randrange(len(words) - 1)
            params = {"q": f'"{words[start]} {words[start + 1]}"'}
        elif kind == "field":
            params = {"q": f"title:{rng.choice(words)}"}
        else:
            month = rng.randint(2, 9)
            params = {
                "q": rng.choice(words),
                "section": rng.sample(SECTIONS, rng.randint(1, 3)),
                "date_from": f"1987-{month:02d}-01",
                "date_to": f"1987-{month + 1:02d}-15",
                "sort": rng.choice(("relevance", "newest")),
            }
        mix.append((kind, "/api/search?" + urlencode(params, doseq=True)))
    return mix


class gunicorn:
    """gunicorn serving the index on a free 127.0.0.1 port, rate limits off."""

    def __init__(self, index_dir: Path, workers: int) -> None:
        self.index_dir = index_dir
        self.workers = workers

    def __enter__(self) -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {**os.environ, "SEARCHSVC_INDEX_DIR": str(self.index_dir),
               "SEARCHSVC_RATE_LIMIT_READ": "off", "SEARCHSVC_RATE_LIMIT_WRITE": "off"}
        self.log = tempfile.NamedTemporaryFile(prefix="searchsvc-load-gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--config", str(REPO / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                health(self.port)
                return self.port
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start; see {self.log.name}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def health(port: int) -> dict[str, object]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def warm_up(port: int, queries: list[tuple[str, str]]) -> None:
    """Every worker opens the index and loads its columns before anything is timed."""
    for _, path in queries[: 8 * 4]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        connection.request("GET", path)
        connection.getresponse().read()
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
