"""How a cluster keeps up: replication lag and per-node throughput, with real processes.

Starts redis-server, a primary over demo/, two replicas (gunicorn + ``searchsvc follow``
each, default settings) and nginx from deploy/nginx.conf, all on 127.0.0.1, then measures:

- lag: for each of ``--writes`` API writes, the time from the primary's 200 until the new
  article is found on both replicas (issue 15's target: p95 within 2 s);
- a new generation: the time from the primary's switch to a rebuild of Reuters-21578
  (../shared/corpora/reuters21578/reuters.jsonl.gz) until every replica serves it (target: 10 s);
- searches/s: ``--threads`` keep-alive clients for ``--seconds`` against one replica
  directly, then through nginx (both replicas, the primary as backup).

    .venv/bin/python bench/cluster.py [--writes 100] [--seconds 10] [--threads 8]

The machine is shared and has 2 cores for every process here: read the throughput as what
one 2-core host gives when it also runs the client, nginx, Redis and the other nodes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchsvc.store import IndexStore  # noqa: E402
from tests.cluster_support import REPLICATION_KEY, Nginx, Redis, follow, stop, wait_for  # noqa: E402
from tests.support import DEMO_DIR, SHARED_DIR, Server, build_index, get_json, send  # noqa: E402

WRITE_KEY = "bench-cluster-write-key"
REUTERS = SHARED_DIR / "corpora" / "reuters21578" / "reuters.jsonl.gz"
# Pairs of these make 3,025 distinct searches, so a 10 s run is mostly uncached (the result
# cache would otherwise answer most of them, as it does on a news site).
WORDS = ("oil prices bank rate trade deficit coffee gold shares dollar yen wheat export corn sugar grain "
         "profit loss quarter dividend stock market tax budget japan china germany canada london tokyo "
         "president minister talks strike union steel copper crude opec reserves debt loan interest "
         "inflation growth earnings merger bid offer share billion million tonnes sales imports").split()


def total(url: str, query: str) -> int | None:
    status, body = get_json(f"{url}/api/search?q={query}")
    return body["total"] if status == 200 else None


def generation(url: str) -> str | None:
    return get_json(f"{url}/healthz")[1].get("generation")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def write_lags(primary: str, replicas: list[str], writes: int) -> list[float]:
    """Seconds from each write's 200 to the article being found on every replica."""
    lags = []
    for n in range(writes):
        word = f"lagword{n}x"
        status, body, _ = send("PUT", f"{primary}/api/articles/lag-{n}", {"title": f"The {word}", "body": f"About {word}.", "section": "News"},
                               key=WRITE_KEY)
        assert status == 200, body
        acknowledged = time.monotonic()
        wait_for(f"{word} on every replica", lambda: all(total(url, word) == 1 for url in replicas), timeout=60)
        lags.append(time.monotonic() - acknowledged)
    return lags


def generation_lag(primary_index: Path, replicas: list[str]) -> tuple[float, int]:
    """Seconds from the primary's switch to a Reuters generation until every replica serves it."""
    store = IndexStore(primary_index)
    before = store.current_name()
    done = threading.Event()
    builder = threading.Thread(target=lambda: (build_index([REUTERS], primary_index), done.set()))
    builder.start()
    new = wait_for("the primary's switch", lambda: (name := store.current_name()) != before and name, timeout=600)
    switched = time.monotonic()
    wait_for("every replica on the new generation", lambda: all(generation(url) == new for url in replicas), timeout=600)
    lag = time.monotonic() - switched
    builder.join()
    return lag, total(replicas[0], "") or 0


def searches_per_second(url: str, threads: int, seconds: float) -> tuple[float, int]:
    """(answered searches per second, failures) from ``threads`` keep-alive clients."""
    address = urlsplit(url)
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        n = offset * 1000
        while time.monotonic() < deadline:
            first, second = divmod(n * 7919 % (len(WORDS) ** 2), len(WORDS))
            connection.request("GET", f"/api/search?q={WORDS[first]}+{WORDS[second]}")
            response = connection.getresponse()
            response.read()
            with lock:
                counts["ok" if response.status == 200 else "failed"] += 1
            n += 1
        connection.close()

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts["ok"] / (time.monotonic() - started), counts["failed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp, ExitStack() as cleanup:
        folder = Path(tmp)
        redis = Redis(folder)
        cleanup.callback(redis.stop)
        build_index([DEMO_DIR], folder / "primary" / "index")
        env = {"SEARCHSVC_RATE_LIMIT_STORAGE": redis.url, "SEARCHSVC_RATE_LIMIT_READ": "off", "SEARCHSVC_RATE_LIMIT_WRITE": "off",
               "SEARCHSVC_TRUSTED_PROXIES": "1"}
        primary = Server(folder / "primary" / "index", workers=2,
                         env={**env, "SEARCHSVC_API_KEYS": WRITE_KEY, "SEARCHSVC_REPLICATION_KEYS": REPLICATION_KEY}).start()
        cleanup.callback(primary.stop)
        replicas: list[Server] = []
        for n in (1, 2):
            (folder / f"replica{n}" / "index").mkdir(parents=True)
            follower = follow(primary.url, folder / f"replica{n}" / "index")  # default settings
            cleanup.callback(stop, follower)
            replica = Server(folder / f"replica{n}" / "index", workers=2, env={**env, "SEARCHSVC_PRIMARY_URL": primary.url}).start()
            cleanup.callback(replica.stop)
            replicas.append(replica)
        nginx = Nginx(folder / "nginx", f"127.0.0.1:{primary.port}", [f"127.0.0.1:{r.port}" for r in replicas])
        cleanup.callback(nginx.stop)
        urls = [r.url for r in replicas]
        wait_for("both replicas to serve", lambda: all(total(url, "bridge") for url in urls))

        results: dict[str, Any] = {}
        lags = write_lags(primary.url, urls, args.writes)
        results["write_lag_s"] = {"writes": len(lags), "p50": round(statistics.median(lags), 3),
                                  "p95": round(percentile(lags, 0.95), 3), "max": round(max(lags), 3)}
        print(json.dumps({"write_lag_s": results["write_lag_s"]}), flush=True)
        if REUTERS.exists():
            lag, articles = generation_lag(primary.index_dir, urls)
            results["reuters_generation_lag_s"] = {"articles": articles, "seconds": round(lag, 2)}
        else:
            results["reuters_generation_lag_s"] = f"skipped: {REUTERS} is absent"
        print(json.dumps({"reuters_generation_lag_s": results["reuters_generation_lag_s"]}), flush=True)
        for name, url in (("one_replica_direct", urls[0]), ("through_nginx", nginx.url)):
            rate, failed = searches_per_second(url, args.threads, args.seconds)
            results[name] = {"searches_per_s": round(rate, 1), "failed": failed, "threads": args.threads, "seconds": args.seconds}
            print(json.dumps({name: results[name]}), flush=True)
        print(json.dumps(results))


if __name__ == "__main__":
    main()
