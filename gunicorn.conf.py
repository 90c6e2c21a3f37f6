"""gunicorn defaults for searchsvc: `gunicorn wsgi:app` from the project root.

No preload: each worker creates the app after the fork and opens the index itself.
Threads share one process's index and section columns; each thread keeps its own searcher.
"""

import multiprocessing
import os

bind = os.environ.get("SEARCHSVC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SEARCHSVC_WORKERS", min(4, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("SEARCHSVC_THREADS", 4))
timeout = 30
graceful_timeout = 10
keepalive = 5
preload_app = False
