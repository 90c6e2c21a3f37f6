"""gunicorn server hooks (wired in gunicorn.conf.py): what the worker processes share.

- A fresh runtime folder per server run, made before any worker starts: Prometheus'
  multiprocess files (every worker writes its own, /metrics sums them) and the SQLite
  file of rate-limit counters (so the limit is per client, not per client and worker).
  Removed when the server exits.
- A dead worker's live-gauge files are marked dead, as prometheus-client asks.
- Errors gunicorn answers itself, before the app sees the request (request line or
  headers too long, malformed HTTP), come in our JSON envelope instead of HTML.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gunicorn import util

RUNTIME_PREFIX = "searchsvc-run-"
_runtime: Path | None = None


def on_starting(server: Any) -> None:
    global _runtime
    _runtime = Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX))
    metrics_dir = _runtime / "prometheus"
    metrics_dir.mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    os.environ.setdefault("SEARCHSVC_RATE_LIMIT_STORAGE", f"sqlite:///{_runtime / 'ratelimit.sqlite3'}")
    util.write_error = write_json_error


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _runtime is not None:
        shutil.rmtree(_runtime, ignore_errors=True)


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error with our envelope as the body."""
    from searchsvc.api.errors import envelope

    body = json.dumps(envelope(status_int, mesg or reason)).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)
