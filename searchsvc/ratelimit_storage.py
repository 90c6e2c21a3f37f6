"""Rate-limit counters in one SQLite file, shared by every process on a host.

flask-limiter keeps its counters in a ``limits`` storage. In-memory counters are per
process, so each gunicorn worker would grant the full limit again (N workers, N times
the limit). Redis or memcached share them across hosts but need a server running; the
demo must start on a fresh machine with nothing but Python. SQLite in WAL mode needs no
server, is safe across processes and threads, and one atomic upsert per request is cheap.
Registered for ``sqlite:///absolute/path.db``; multi-host deployments point
``SEARCHSVC_RATE_LIMIT_STORAGE`` at ``redis://…`` or ``memcached://…`` instead.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import urllib.parse
from typing import Any

from limits.storage import Storage

_SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)"
# A window that has expired starts again from this hit; otherwise the hit is added.
_INCREMENT = """
INSERT INTO counters (key, value, expires) VALUES (:key, :amount, :expires)
ON CONFLICT (key) DO UPDATE SET
    value = CASE WHEN counters.expires <= :now THEN excluded.value ELSE counters.value + excluded.value END,
    expires = CASE WHEN counters.expires <= :now THEN excluded.expires ELSE counters.expires END
RETURNING value
"""
_PURGE_EVERY = 1_000  # increments between sweeps of expired windows


class SQLiteStorage(Storage):
    """A ``limits`` storage for the fixed-window strategy (flask-limiter's default)."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = urllib.parse.urlparse(uri).path
        if not self.path:
            raise ValueError(f"{uri!r}: give a file, e.g. sqlite:///var/run/searchsvc/ratelimit.sqlite3")
        self._local = threading.local()
        self._increments = 0
        self._db().execute(_SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not cross threads or forks)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # counters need no durability across a crash
            self._local.db = db
        return db

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        db = self._db()
        (value,) = db.execute(_INCREMENT, {"key": key, "amount": amount, "expires": now + expiry, "now": now}).fetchone()
        self._increments += 1
        if self._increments % _PURGE_EVERY == 0:
            db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return int(value)

    def get(self, key: str) -> int:
        row = self._db().execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = self._db().execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now)).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        return self._db().execute("SELECT 1").fetchone() == (1,)

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
