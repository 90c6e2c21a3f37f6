"""Where one search request's time goes inside a gunicorn worker: search layer, Flask, gunicorn.

Serves our app through a thin WSGI wrapper (``app`` below) that times each call of the
Flask app with ``time.thread_time`` and reads the answer's ``took_ms`` (the search layer's
own time); the workers' total CPU comes from /proc. One client sends distinct, never-asked
queries one at a time, so every request is computed and nothing overlaps.

    .venv/bin/python bench/request_split.py [--scale 1] [--seconds 20]

Per request: worker CPU = gunicorn (accept, parse, dispatch, close) + the app call; the app
call = Flask and what runs in it (arguments, response dump, JSON, hooks) + the search layer.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import draw_queries, load_reuters, scaled  # noqa: E402
from bench.speed import children_of, gunicorn, load_test  # noqa: E402

SPLIT_LINE = re.compile(r"SPLIT requests=(\d+) app_cpu=([\d.]+) search=([\d.]+)")
COLD_REQUESTS = 20  # a worker's first searches open the index and fill its caches: not counted
WARMUP_POOL = 400  # distinct queries for the warm-up, sent by two clients so both workers get some


def _wrapped_app() -> Callable:
    """The repo's Flask app, each search timed (after the worker's first COLD_REQUESTS);
    totals written to stderr when the worker exits."""
    from wsgi import app as flask_app

    totals = {"requests": 0, "app_cpu": 0.0, "search": 0.0}
    seen = [0]

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.thread_time()
        body = b"".join(flask_app(environ, start_response))
        if environ.get("PATH_INFO") == "/api/search":
            seen[0] += 1
            if seen[0] > COLD_REQUESTS:
                totals["requests"] += 1
                totals["app_cpu"] += time.thread_time() - started
                totals["search"] += json.loads(body).get("took_ms", 0.0) / 1000
        return [body]

    atexit.register(lambda: print("SPLIT requests={requests} app_cpu={app_cpu:.6f} search={search:.6f}".format(**totals), file=sys.stderr, flush=True))
    return app


if os.environ.get("SEARCHSVC_REQUEST_SPLIT"):  # imported by gunicorn in a worker
    app = _wrapped_app()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    from searchsvc.indexer import index_articles
    from searchsvc.store import IndexStore

    base = load_reuters()
    queries = draw_queries(base, 12_000)
    os.environ["SEARCHSVC_REQUEST_SPLIT"] = "1"
    with tempfile.TemporaryDirectory(prefix="searchsvc-split-") as temp:
        index_dir = Path(temp) / "index"
        index_articles(scaled(base, args.scale), IndexStore(index_dir))
        log = Path(temp) / "gunicorn.log"
        with gunicorn(index_dir, log, app="bench.request_split:app") as (port, master):
            load_test(port, queries[:WARMUP_POOL], 3, threads=2)  # both workers open the index, fill caches
            workers = children_of(master.pid)
            cpu_before = sum(_cpu_seconds(pid) for pid in workers)
            result = load_test(port, queries[WARMUP_POOL:], args.seconds, threads=1)
            worker_cpu = sum(_cpu_seconds(pid) for pid in workers) - cpu_before
        found = [tuple(map(float, m.groups())) for m in SPLIT_LINE.finditer(log.read_text())]
    requests = sum(f[0] for f in found)  # warm searches, some of the warm-up's among them
    app_cpu, search = sum(f[1] for f in found) / requests, sum(f[2] for f in found) / requests
    per_request = worker_cpu / result.requests
    print(f"scale {args.scale}: {result.requests} distinct searches, one at a time, {result.per_second:.1f}/s, p50 {result.p50_ms:.2f} ms")
    print(f"worker CPU per request   {per_request * 1000:6.2f} ms")
    print(f"  gunicorn               {(per_request - app_cpu) * 1000:6.2f} ms  (worker CPU less the app call)")
    print(f"  Flask app call         {app_cpu * 1000:6.2f} ms")
    print(f"    search layer         {search * 1000:6.2f} ms  (took_ms)")
    print(f"    Flask and the rest   {(app_cpu - search) * 1000:6.2f} ms  (arguments, response dump, JSON, hooks)")


if __name__ == "__main__":
    main()
