"""What operators see: one JSON access-log line per request, and Prometheus metrics.

Access log: logger ``searchsvc.access``, one JSON object per line on stderr, with the
request id (the client's X-Request-ID when it is sane, else a new one; always returned),
method, route template (``/api/articles/<string:article_id>``, never the raw path with ids
or query), status, latency, for searches the result count, the client address and the
worker's pid. Headers and bodies are never logged, so neither API keys nor article text
can end up in it.

Metrics (``GET /metrics``): request latency histogram and request counts by route and
status, zero-result searches, and the live index (generation, article count). Under
gunicorn, PROMETHEUS_MULTIPROC_DIR is set (searchsvc/gunicorn_hooks.py) and counters from
every worker are summed from their files; the index figures are read at scrape time
from the store, which all workers share.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from searchsvc.store import NoIndexError

access_log = logging.getLogger("searchsvc.access")

REQUEST_SECONDS = Histogram(
    "searchsvc_http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
REQUESTS = Counter("searchsvc_http_requests", "Requests answered, by route template and status.", ["method", "route", "status"])
ZERO_RESULT_SEARCHES = Counter("searchsvc_zero_result_searches", "Searches that found nothing.")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED_ROUTE = "<unmatched>"


def init_app(app: Flask) -> None:
    """Call before other extensions add before_request hooks, so every request is timed."""
    _log_to_stderr()

    @app.before_request
    def start() -> None:
        g.request_started = time.perf_counter()
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex

    @app.after_request
    def finish(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(request.method, route).observe(seconds)
        results = g.get("result_count")
        if results == 0:
            ZERO_RESULT_SEARCHES.inc()
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        access_log.info(json.dumps({
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "request_id": g.get("request_id"),
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "latency_ms": round(seconds * 1000, 2),
            "results": results,
            "client": request.remote_addr,
            "pid": os.getpid(),
        }))
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus text format; not part of the public API document."""
        return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def _log_to_stderr() -> None:
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False


def _registry() -> CollectorRegistry:
    """All workers' metrics under gunicorn (multiprocess files), else this process's; and the index."""
    registry = CollectorRegistry()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUEST_SECONDS, REQUESTS, ZERO_RESULT_SEARCHES):
            registry.register(collector)
    registry.register(_IndexCollector())
    return registry


class _IndexCollector(Collector):
    """The live index generation and its article count, read when scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from searchsvc import api

        info = GaugeMetricFamily("searchsvc_index_generation_info", "The live index generation (value 1).", labels=["generation"])
        try:
            status = api.search_service().status()
        except NoIndexError:
            yield GaugeMetricFamily("searchsvc_index_articles", "Articles in the live index.", value=0)
            yield info
            return
        info.add_metric([status.generation], 1)
        yield GaugeMetricFamily("searchsvc_index_articles", "Articles in the live index.", value=status.articles)
        yield info

