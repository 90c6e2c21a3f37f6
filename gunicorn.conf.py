"""gunicorn defaults for searchsvc: `gunicorn wsgi:app` from the project root.

No preload: each worker creates the app after the fork and opens the index itself.
Threads share one process's searcher (taking turns), caches and facet columns.
"""

import multiprocessing
import os

from searchsvc import gunicorn_hooks

bind = os.environ.get("SEARCHSVC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SEARCHSVC_WORKERS", min(4, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("SEARCHSVC_THREADS", 4))
timeout = 30
graceful_timeout = 10
keepalive = 5
preload_app = False
# Request lines up to gunicorn's maximum; the app refuses query strings over its own
# limit (SEARCHSVC_MAX_QUERY_STRING) with a JSON 414, and gunicorn_hooks makes
# gunicorn's own refusals JSON too.
limit_request_line = 8190

# A per-run folder for Prometheus multiprocess files and rate-limit counters, made
# before workers start; dead workers' gauges cleaned up (see searchsvc/gunicorn_hooks.py).
on_starting = gunicorn_hooks.on_starting
child_exit = gunicorn_hooks.child_exit
on_exit = gunicorn_hooks.on_exit
