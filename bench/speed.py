"""Side-by-side speed benchmark: our search service against SQLite FTS5 and Tantivy.

One run builds the Reuters corpus (optionally scaled) into every engine, then times the
same search results page on each: top 10 by relevance with snippets, the total, and
section and month counts over all matches. Ours is timed in-process and as whole HTTP
requests to a real gunicorn, which is then load-tested. See bench/README.md.

    .venv/bin/python bench/speed.py [--scales 1,5] [--quick] [--profile]

The report goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import io
import itertools
import json
import os
import platform
import pstats
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.corpus import Query, draw_queries, load_reuters, scaled, zipf_log  # noqa: E402
from bench.peers import PAGE_SIZE, Engine, Fts5Engine, Page, PageSource, TantivyEngine  # noqa: E402
from searchsvc.articles import Article  # noqa: E402
from searchsvc.indexer import index_articles  # noqa: E402
from searchsvc.search import DateInterval, SearchRequest, SearchService, SearchSettings  # noqa: E402
from searchsvc.store import IndexStore  # noqa: E402

BASELINE = Fts5Engine.name
WARMUP_QUERIES = 10
LOAD_THREADS = 16
GUNICORN_WORKERS = 2
HTTP_TIMEOUT_S = 30.0
PROFILED_QUERIES = 5
UNCACHED_POOL = 12_000  # more distinct queries than a 20 s load test gets through (600 req/s)
FLOOR_APP = "bench.floor_app:app"  # a bare Flask app on the same gunicorn: the web stack alone
# Issue 5's targets that the floor's subtraction is set against (the rest are read off the tables).
TARGET_P50_RATIO = 4.0  # a whole HTTP request's p50 against FTS5's in-process p50
TARGET_REQUESTS_PER_S = 300  # uncached searches through gunicorn on the machine's cores


@dataclass(frozen=True)
class Workload:
    queries: int
    repeated_requests: int
    load_seconds: float


FULL = Workload(queries=200, repeated_requests=1000, load_seconds=20.0)
QUICK = Workload(queries=50, repeated_requests=250, load_seconds=5.0)


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def query_text(words: Query) -> str:
    """Our query language: bare words are all required."""
    return " ".join(words)


# --- our service, in-process and over HTTP -------------------------------------------------


def page_from_api(payload: dict) -> Page:
    return Page(
        total=payload["total"],
        hit_ids=tuple(hit["id"] for hit in payload["hits"]),
        snippets=tuple(hit["snippet_html"] for hit in payload["hits"]),
        sections={item["value"]: item["count"] for item in payload["facets"]["section"]},
        months={bucket["key"]: bucket["count"] for bucket in payload["facets"]["date"]},
        partial=payload["partial"],
    )


class SearchsvcEngine:
    """Our index, built by our indexer and searched through SearchService in this process."""

    name = "searchsvc"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "searchsvc"
        self.store = IndexStore(self.path)
        self._service: SearchService | None = None

    def build(self, articles: Sequence[Article]) -> None:
        index_articles(articles, self.store)
        self._service = SearchService(self.store)

    def cold_copy(self) -> SearchsvcEngine:
        """The same index behind a new SearchService: its result and postings caches empty."""
        copy = SearchsvcEngine(self.path.parent)
        copy._service = SearchService(copy.store)
        return copy

    def feedback_variant(self, documents: int) -> SearchsvcEngine:
        """The same index searched with feedback from ``documents`` best matches (0: none),
        timed beside the defaults (``--feedback-docs``): e.g. 3, the count before issue 18."""
        variant = SearchsvcEngine(self.path.parent)
        variant.name = f"searchsvc feedback {documents} docs"
        defaults = SearchSettings()
        variant._service = SearchService(variant.store, replace(defaults, ranking=replace(defaults.ranking, feedback_docs=documents)))
        return variant

    def page(self, words: Query) -> Page:
        assert self._service is not None, "build() first"
        result = self._service.search(SearchRequest(q=query_text(words), per_page=PAGE_SIZE, date_interval=DateInterval.MONTH))
        return Page(
            total=result.total,
            hit_ids=tuple(hit.article.id for hit in result.hits),
            snippets=tuple(hit.snippet_html for hit in result.hits),
            sections={facet.value: facet.count for facet in result.section_facet},
            months={bucket.key: bucket.count for bucket in result.date_facet},
            partial=result.partial,
        )

    def close(self) -> None:
        self._service = None


def search_path(words: Query) -> str:
    return "/api/search?" + urlencode({"q": query_text(words), "per_page": PAGE_SIZE, "date_interval": "month"})


def http_get(port: int, path: str) -> tuple[int, bytes]:
    """One whole request on a fresh connection (gunicorn's sync workers do not keep alive)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class HttpEngine:
    """Our service as the widget sees it: GET /api/search against gunicorn, JSON decoded."""

    name = "searchsvc-http"

    def __init__(self, port: int) -> None:
        self._port = port

    def page(self, words: Query) -> Page:
        status, body = http_get(self._port, search_path(words))
        if status != 200:
            raise RuntimeError(f"GET {search_path(words)} -> {status}: {body[:300]!r}")
        return self.decode(json.loads(body))

    decode = staticmethod(page_from_api)


class FloorEngine(HttpEngine):
    """The bare Flask app of bench/floor_app.py over HTTP: the same request, no search behind it."""

    name = "bare-flask-http"

    @staticmethod
    def decode(payload: dict) -> Page:
        return Page(total=payload["total"], hit_ids=(), snippets=(), sections={}, months={})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory: the total, its anonymous (heap) and file-backed (mmapped index, code)
    parts, and the proportional share (PSS: pages shared with other processes, such as the
    index's page cache mapped by every worker, divided among them)."""
    wanted = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "Pss": "pss"}
    found = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in wanted:
                found[wanted[key]] = int(value.split()[0]) / 1024
    return found


@contextmanager
def gunicorn(index_dir: Path, log_path: Path, app: str = "wsgi:app") -> Iterator[tuple[int, subprocess.Popen]]:
    """A real gunicorn serving ``app`` (the repo's ``wsgi:app``) over the given index; yields its port."""
    port = free_port()
    # Rate limits off: every request comes from 127.0.0.1, faster than a reader would send them.
    environment = dict(os.environ, SEARCHSVC_INDEX_DIR=str(index_dir), SEARCHSVC_RATE_LIMIT_READ="off",
                       SEARCHSVC_RATE_LIMIT_WRITE="off")
    command = [sys.executable, "-m", "gunicorn", app, "-b", f"127.0.0.1:{port}", "-w", str(GUNICORN_WORKERS)]
    with open(log_path, "wb") as log_file:
        master = subprocess.Popen(command, cwd=REPO, env=environment, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if master.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {master.returncode}:\n{log_path.read_text()[-2000:]}")
            try:
                status, body = http_get(port, "/healthz")
                if status == 200 and json.loads(body).get("status") == "ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not healthy after 60 s:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield port, master
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Timings:
    """Per engine: the latency (ms) and the page of every request, in request order."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    pages: dict[str, list[Page]] = field(default_factory=dict)


def time_pages(engines: Sequence[PageSource], queries: Sequence[Query], warmup: Sequence[Query]) -> Timings:
    """Time each query on every engine in turn, so machine noise spreads over all engines alike;
    the order is shuffled for each query (seeded), so that no engine always comes first or
    always follows the same other engine (whose leftovers in the CPU's caches it would pay
    for: up to 0.7 ms a page here)."""
    for engine in engines:
        for words in warmup:
            engine.page(words)
    timings = Timings({e.name: [] for e in engines}, {e.name: [] for e in engines})
    gc.collect()
    order = random.Random(len(queries))
    for words in queries:
        for engine in order.sample(list(engines), len(engines)):
            started = time.perf_counter()
            page = engine.page(words)
            timings.latencies[engine.name].append((time.perf_counter() - started) * 1000)
            timings.pages[engine.name].append(page)
    return timings


def build_seconds(engine: Engine, articles: Sequence[Article]) -> float:
    gc.collect()
    started = time.perf_counter()
    engine.build(articles)
    return time.perf_counter() - started


def disk_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    wrapped: bool  # the query list ran out and started over

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def load_test(port: int, queries: Sequence[Query], seconds: float, threads: int = LOAD_THREADS) -> LoadResult:
    """``threads`` clients sending the queries in order, as fast as answers come, for ``seconds``."""
    paths = itertools.cycle([search_path(words) for words in queries])
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal errors, sent
        while time.perf_counter() < deadline:
            with lock:
                path = next(paths)
                sent += 1
            started = time.perf_counter()
            try:
                status, _ = http_get(port, path)
            except OSError:
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return LoadResult(len(latencies), errors, elapsed, float(np.median(latencies)) if latencies else float("nan"), sent > len(queries))


def profile_slowest(
    engine: SearchsvcEngine, queries: Sequence[Query], latencies: Sequence[float], warmup: Sequence[Query]
) -> str:
    """cProfile our in-process page over its slowest queries; the top cumulative functions.

    A cold copy of the service answers, so the profile shows the work, not a cache hit.
    """
    slowest = [queries[i] for i in np.argsort(latencies)[::-1][:PROFILED_QUERIES]]
    engine = engine.cold_copy()
    for words in warmup:  # open the searcher and load the facet columns outside the profile
        engine.page(words)
    profiler = cProfile.Profile()
    profiler.enable()
    for words in slowest:
        engine.page(words)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(30)
    listing = out.getvalue()
    body = listing[listing.index("   ncalls"):].rstrip()
    return f"queries: {', '.join(query_text(q) for q in slowest)}\n{body}"


# --- reporting ------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned plain text: first column left, the rest right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return float(p50), float(p95), float(p99)


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x"


def latency_rows(timings: Timings, extra: Callable[[str], list[str]]) -> list[list[str]]:
    base = percentiles(timings.latencies[BASELINE])
    rows = []
    for name, values in timings.latencies.items():
        ps = percentiles(values)
        rows.append([name, *extra(name), *(f"{p:.2f}" for p in ps), *(ratio(p, b) for p, b in zip(ps, base))])
    return rows


def agreement_columns(timings: Timings, name: str) -> list[str]:
    totals = [page.total for page in timings.pages[name]]
    base = [page.total for page in timings.pages[BASELINE]]
    differing = sum(t != b for t, b in zip(totals, base))
    partial = sum(page.partial for page in timings.pages[name])
    return [f"{np.mean(totals):.1f}", f"{(np.mean(totals) / np.mean(base) - 1) * 100:+.1f}%", str(differing), str(partial)]


def disagreements(timings: Timings, queries: Sequence[Query], limit: int = 8) -> str:
    """The queries whose totals differ most between engines, to see why."""
    names = list(timings.pages)
    per_query = [[timings.pages[n][i].total for n in names] for i in range(len(queries))]
    spread = sorted(range(len(queries)), key=lambda i: (max(per_query[i]) - min(per_query[i])) / max(1, min(per_query[i])), reverse=True)
    rows = [[query_text(queries[i]), *map(str, per_query[i])] for i in spread[:limit] if max(per_query[i]) != min(per_query[i])]
    return table(["query (largest relative disagreement)", *names], rows) if rows else "(all engines agree on every total)"


def code_version() -> str:
    """The commit measured, flagged when the working tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "searchsvc", "wsgi.py", "gunicorn.conf.py")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")


def header(workload: Workload, scales: Sequence[int]) -> str:
    versions = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "tantivy": metadata.version("tantivy"),
        "whoosh-reloaded": metadata.version("whoosh-reloaded"),
        "gunicorn": metadata.version("gunicorn"),
    }
    return "\n".join(
        [
            f"searchsvc speed benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, code at {code_version()}",
            f"machine: {os.cpu_count()} CPU cores, SHARED and NOISY (other jobs run beside this one);"
            " read differences under ~20% as noise",
            "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
            f"corpus: Reuters-21578 (reuters.jsonl.gz) at scales {', '.join(map(str, scales))};"
            f" {workload.queries} two-word queries (all words required), then {workload.repeated_requests}"
            " requests repeating them with Zipf frequencies (s=1.1)",
            "page: top 10 by relevance + highlighted body snippets + total + section and month counts over all matches",
            "latencies: time.perf_counter per page, one query at a time, engines interleaved per query;"
            f" p50/p95/p99 in ms; 'x' columns are ratios to {BASELINE}",
        ]
    )


# --- the run --------------------------------------------------------------------------------


@dataclass
class ScaleResult:
    factor: int
    articles: int
    queries: list[Query]
    repeated: list[Query]
    build: dict[str, tuple[float, float]]  # engine -> (seconds, index MB)
    distinct: Timings
    zipf: Timings
    uncached_load: LoadResult
    repeated_load: LoadResult
    memory: dict[str, dict[str, float]]
    floor: Timings  # FTS5's page and the bare Flask app's request, interleaved
    floor_load: LoadResult
    profile: str | None
    load_average: tuple[float, float]  # the machine's 1-minute load average at start and end


def measure_scale(factor: int, base: list[Article], workload: Workload, profile: bool, feedback_docs: Sequence[int] = ()) -> ScaleResult:
    """Build every engine at this scale, time the pages, load-test gunicorn, optionally profile."""
    load_at_start = os.getloadavg()[0]
    articles = scaled(base, factor)
    pool = draw_queries(base, WARMUP_QUERIES + workload.queries + UNCACHED_POOL)
    warmup = pool[:WARMUP_QUERIES]
    queries = pool[WARMUP_QUERIES : WARMUP_QUERIES + workload.queries]
    unseen = pool[WARMUP_QUERIES + workload.queries :]  # never requested before the uncached load test
    repeated = zipf_log(queries, workload.repeated_requests)

    with tempfile.TemporaryDirectory(prefix="searchsvc-bench-") as temp:
        directory = Path(temp)
        fts5, ours = Fts5Engine(directory), SearchsvcEngine(directory)
        built: list[Engine] = [fts5, TantivyEngine(directory), ours]
        build: dict[str, tuple[float, float]] = {}
        for engine in built:
            log(f"scale {factor}: building {engine.name} ({len(articles):,} articles)")
            build[engine.name] = (build_seconds(engine, articles), disk_mb(engine.path))

        with gunicorn(ours.store.root, directory / "gunicorn.log") as (port, master):
            engines: list[PageSource] = [*built, *(ours.feedback_variant(documents) for documents in feedback_docs), HttpEngine(port)]
            log(f"scale {factor}: timing {len(queries)} distinct queries on {len(engines)} engines")
            distinct = time_pages(engines, queries, warmup)
            log(f"scale {factor}: timing {len(repeated)} repeated (Zipf) queries")
            zipf = time_pages(engines, repeated, [])
            log(f"scale {factor}: load test, {LOAD_THREADS} threads x {workload.load_seconds:.0f} s, uncached then repeated")
            uncached_load = load_test(port, unseen, workload.load_seconds)
            repeated_load = load_test(port, repeated, workload.load_seconds)
            memory = {f"worker {pid}": memory_mb(pid) for pid in children_of(master.pid)} | {"master": memory_mb(master.pid)}
        with gunicorn(ours.store.root, directory / "floor.log", app=FLOOR_APP) as (port, _master):
            log(f"scale {factor}: timing the web stack's floor (a bare Flask app) against {BASELINE}, then its load test")
            floor = time_pages([fts5, FloorEngine(port)], queries, warmup)
            floor_load = load_test(port, unseen, workload.load_seconds)

        profiled = None
        if profile:
            log(f"scale {factor}: profiling the {PROFILED_QUERIES} slowest queries in-process")
            profiled = profile_slowest(ours, queries, distinct.latencies[ours.name], warmup)
        for engine in built:
            engine.close()
    return ScaleResult(factor, len(articles), queries, repeated, build, distinct, zipf, uncached_load, repeated_load, memory, floor, floor_load, profiled,
                       (load_at_start, os.getloadavg()[0]))


def report_scale(result: ScaleResult, workload: Workload) -> str:
    baseline_build = result.build[BASELINE][0]

    def build_columns(name: str) -> list[str]:
        if name not in result.build:
            return ["(ours)", "", "", ""]
        seconds, size = result.build[name]
        return [f"{seconds:.1f}", f"{result.articles / seconds:,.0f}", f"{size:,.0f}", ratio(seconds, baseline_build)]

    loads = {
        f"uncached (distinct queries never asked before, from {UNCACHED_POOL})": result.uncached_load,
        f"repeated (the Zipf log of {len(result.repeated)}, cycling)": result.repeated_load,
    }
    rows = latency_rows(result.distinct, build_columns)
    for row in rows:
        row.extend(agreement_columns(result.distinct, row[0]))
    parts = [
        f"\n=== scale {result.factor}: {result.articles:,} articles ===",
        "machine load (1-minute load average, {} cores): {:.1f} at the start, {:.1f} at the end".format(os.cpu_count(), *result.load_average),
        f"\nBuild and distinct-query page latency ({len(result.queries)} queries):",
        table(["engine", "build s", "art/s", "index MB", "build x", "p50 ms", "p95 ms", "p99 ms", "p50 x", "p95 x", "p99 x",
               "avg matches", "vs fts5", "queries differing", "partial"], rows),
        "\n" + disagreements(result.distinct, result.queries),
        f"\nRepeated-query page latency ({len(result.repeated)} requests over {len(result.queries)} queries, Zipf s=1.1):",
        table(["engine", "p50 ms", "p95 ms", "p99 ms", "p50 x", "p95 x", "p99 x"], latency_rows(result.zipf, lambda name: [])),
        f"\nThroughput: GET /api/search, `gunicorn wsgi:app -w {GUNICORN_WORKERS}` (worker class and threads from the"
        f" repo's gunicorn.conf.py), {LOAD_THREADS} client threads on the same machine, {workload.load_seconds:.0f} s each:",
        table(["workload", "requests", "req/s", "errors", "p50 ms under load"],
              [[name, str(r.requests), f"{r.per_second:.1f}", str(r.errors), f"{r.p50_ms:.1f}"] for name, r in loads.items()]),
    ]
    if result.uncached_load.wrapped:
        parts.append("note: the uncached load test ran out of distinct queries and started over (repeats may hit caches)")
    parts.append("resident memory at the end (/proc/PID/status, smaps_rollup): " + "; ".join(
        f"{who} {mb['rss']:.0f} MB (anon {mb['anon']:.0f}, file {mb['file']:.0f}; proportional share {mb.get('pss', float('nan')):.0f})"
        for who, mb in result.memory.items()))
    parts += [
        f"\nThe web stack's floor: {FLOOR_APP} (one fixed page of about our size, no search) under the same gunicorn"
        f" command and config, the same client; its request timed interleaved with {BASELINE}'s page, then load-tested as above:",
        table(["engine", "p50 ms", "p95 ms", "p99 ms", "p50 x", "p95 x", "p99 x"], latency_rows(result.floor, lambda name: [])),
        f"bare Flask under load: {result.floor_load.requests} requests, {result.floor_load.per_second:.1f} req/s,"
        f" {result.floor_load.errors} errors, p50 {result.floor_load.p50_ms:.1f} ms",
        floor_budget(result),
    ]
    if result.profile:
        parts += [f"\ncProfile of our in-process page on the {PROFILED_QUERIES} slowest distinct queries:", result.profile]
    return "\n".join(parts)


def floor_budget(result: ScaleResult) -> str:
    """What our own work (our request beyond the bare app's) costs, and what issue 5's targets leave for it."""
    fts5 = float(np.median(result.distinct.latencies[BASELINE]))
    ours = float(np.median(result.distinct.latencies[HttpEngine.name]))
    floor = float(np.median(result.floor.latencies[FloorEngine.name]))
    cores = os.cpu_count() or 1
    allowed_ms = TARGET_P50_RATIO * fts5
    allowed_cpu_ms = cores * 1000 / TARGET_REQUESTS_PER_S

    def cpu_ms(load: LoadResult) -> float:  # all cores' time per request, the clients' share included
        return cores * 1000 / load.per_second

    return (
        f"beyond the floor: our HTTP p50 {ours:.2f} ms - the bare app's {floor:.2f} ms = {ours - floor:.2f} ms of our own work;"
        f" {TARGET_P50_RATIO:g}x {BASELINE}'s p50 ({allowed_ms:.2f} ms) leaves {allowed_ms - floor:.2f} ms for it."
        f" Under load, {cores} cores / req/s: ours {cpu_ms(result.uncached_load):.2f} ms per uncached request,"
        f" the bare app's {cpu_ms(result.floor_load):.2f} ms; {TARGET_REQUESTS_PER_S} req/s allows {allowed_cpu_ms:.2f} ms,"
        f" {allowed_cpu_ms - cpu_ms(result.floor_load):.2f} ms beyond the floor where ours takes"
        f" {cpu_ms(result.uncached_load) - cpu_ms(result.floor_load):.2f}."
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,5", help="comma-separated corpus multiples (default 1,5)")
    parser.add_argument("--quick", action="store_true", help="smoke run: scale 1, 50 queries, short load tests")
    parser.add_argument("--profile", action="store_true", help="cProfile our page on the slowest queries of each scale")
    parser.add_argument("--feedback-docs", type=int, nargs="*", default=[], metavar="N",
                        help="also time our in-process page with feedback from N documents (0: none), interleaved with the defaults")
    args = parser.parse_args(argv)
    workload = QUICK if args.quick else FULL
    scales = [1] if args.quick else [int(s) for s in args.scales.split(",")]

    log("loading Reuters")
    base = load_reuters()
    print(header(workload, scales))
    for factor in scales:
        print(report_scale(measure_scale(factor, base, workload, args.profile, args.feedback_docs), workload), flush=True)


if __name__ == "__main__":
    main()
