"""Settings from ``SEARCHSVC_*`` environment variables, with defaults that work from a checkout."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_INDEX_DIR = "index"


def from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config keys read from the environment.

    SEARCHSVC_INDEX_DIR     where index generations live (default: ./index)
    SEARCHSVC_CORS_ORIGINS  origins allowed to call the read API, comma-separated (default: *)
    SEARCHSVC_TITLE_BOOST   how much a title match outweighs a body match (default: 2.0)
    SEARCHSVC_MAX_EXPANSIONS  most index words one wildcard may expand to (default: 200)
    SEARCHSVC_TIME_BUDGET   seconds a search may spend before answering partially (default: 1.0)
    SEARCHSVC_API_KEYS      comma-separated keys that may write (none: writes are disabled)
    SEARCHSVC_API_KEYS_FILE a file of keys, one per line (added to SEARCHSVC_API_KEYS)
    SEARCHSVC_WRITE_TIMEOUT seconds a write waits for the index writer before a 503 (default: 5)
    SEARCHSVC_RATE_LIMIT_READ   reads (GET under /api/) per client, e.g. 600/minute (0 or off: no limit)
    SEARCHSVC_RATE_LIMIT_WRITE  writes (other methods under /api/) per client (default: 60/minute)
    SEARCHSVC_RATE_LIMIT_STORAGE  where the counters live: memory:// (one process, the default),
                            sqlite:///file (one host; what gunicorn.conf.py sets), redis://… or memcached://…
    SEARCHSVC_TRUSTED_PROXIES  proxies in front whose X-Forwarded-For names the client (default: 0)
    SEARCHSVC_MAX_BODY_BYTES  largest request body accepted (default: 8 MiB)
    SEARCHSVC_MAX_QUERY_STRING  longest query string accepted, in bytes (default: 8192)
    SEARCHSVC_BM25_K1, SEARCHSVC_BM25_B  BM25F term saturation and length normalization (1.2, 0.75)
    SEARCHSVC_FEEDBACK_DOCS   best matches whose words re-rank the rest (default: 10; 0: off)
    SEARCHSVC_FEEDBACK_TERMS  words taken from them (default: 10)
    SEARCHSVC_FRESHNESS       recency boost when a search does not say: on or off (default: off)
    SEARCHSVC_FRESHNESS_HALF_LIFE  days in which the boost halves (default: 14)
    SEARCHSVC_FRESHNESS_FLAT  days of full boost for the newest articles (default: 1)
    SEARCHSVC_SYNONYMS        a synonyms file (one group per line: car, automobile); none by default
    SEARCHSVC_REPLICATION_KEYS  on a primary: comma-separated keys replicas use (none: replication off)
    SEARCHSVC_PRIMARY_URL     on a replica: the primary's URL (writes are refused, naming it)
    SEARCHSVC_MAX_LAG         seconds a replica may lag before /healthz answers 503 (default: 60)
    SEARCHSVC_PUBLIC_URL      the site's public base URL, for links in feeds and OpenSearch (default: the request's)
    SEARCHSVC_SITE_NAME       the name the browser's search box and feeds show (default: searchsvc)
    SEARCHSVC_CURSOR_KEY      the secret that signs cursors, the same on every node of a cluster
                            (default: cursor.key beside the index, made at the first search)
    SEARCHSVC_JOURNAL_KEEP_DAYS  days of API writes the journal keeps for `reindex --replay-since` (default: 14)
    SEARCHSVC_JOURNAL_MAX_MB  the journal's largest size in MB, oldest writes dropped first (default: 256);
                            both are read by the store itself (searchsvc/journal.py), also in commands
    """
    env = os.environ if env is None else env
    origins = [o.strip() for o in env.get("SEARCHSVC_CORS_ORIGINS", "*").split(",") if o.strip()]
    return {
        "INDEX_DIR": Path(env.get("SEARCHSVC_INDEX_DIR", DEFAULT_INDEX_DIR)).resolve(),
        "CORS_ORIGINS": origins or ["*"],
        "TITLE_BOOST": float(env.get("SEARCHSVC_TITLE_BOOST", "2.0")),
        "MAX_EXPANSIONS": int(env.get("SEARCHSVC_MAX_EXPANSIONS", "200")),
        "TIME_BUDGET": float(env.get("SEARCHSVC_TIME_BUDGET", "1.0")),
        "API_KEYS": _api_keys(env),
        "WRITE_TIMEOUT": float(env.get("SEARCHSVC_WRITE_TIMEOUT", "5")),
        "RATE_LIMIT_READ": env.get("SEARCHSVC_RATE_LIMIT_READ", "600/minute"),
        "RATE_LIMIT_WRITE": env.get("SEARCHSVC_RATE_LIMIT_WRITE", "60/minute"),
        "RATE_LIMIT_STORAGE": env.get("SEARCHSVC_RATE_LIMIT_STORAGE", "memory://"),
        "TRUSTED_PROXIES": int(env.get("SEARCHSVC_TRUSTED_PROXIES", "0")),
        "MAX_CONTENT_LENGTH": int(env.get("SEARCHSVC_MAX_BODY_BYTES", str(8 * 1024 * 1024))),
        "MAX_QUERY_STRING": int(env.get("SEARCHSVC_MAX_QUERY_STRING", "8192")),
        "BM25_K1": float(env.get("SEARCHSVC_BM25_K1", "1.2")),
        "BM25_B": float(env.get("SEARCHSVC_BM25_B", "0.75")),
        "FEEDBACK_DOCS": int(env.get("SEARCHSVC_FEEDBACK_DOCS", "10")),
        "FEEDBACK_TERMS": int(env.get("SEARCHSVC_FEEDBACK_TERMS", "10")),
        "FRESHNESS": env.get("SEARCHSVC_FRESHNESS", "off").strip().lower() == "on",
        "FRESHNESS_HALF_LIFE": float(env.get("SEARCHSVC_FRESHNESS_HALF_LIFE", "14")),
        "FRESHNESS_FLAT": float(env.get("SEARCHSVC_FRESHNESS_FLAT", "1")),
        "SYNONYMS": Path(env["SEARCHSVC_SYNONYMS"]).resolve() if env.get("SEARCHSVC_SYNONYMS") else None,
        "REPLICATION_KEYS": _keys(env.get("SEARCHSVC_REPLICATION_KEYS", "").split(",")),
        "PRIMARY_URL": env.get("SEARCHSVC_PRIMARY_URL", "").strip().rstrip("/") or None,
        "MAX_LAG": float(env.get("SEARCHSVC_MAX_LAG", "60")),
        "PUBLIC_URL": env.get("SEARCHSVC_PUBLIC_URL", "").strip().rstrip("/") or None,
        "SITE_NAME": env.get("SEARCHSVC_SITE_NAME", "").strip() or "searchsvc",
        "CURSOR_KEY": env.get("SEARCHSVC_CURSOR_KEY", "").strip() or None,
    }


def _api_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    keys = env.get("SEARCHSVC_API_KEYS", "").split(",")
    if env.get("SEARCHSVC_API_KEYS_FILE"):
        keys += Path(env["SEARCHSVC_API_KEYS_FILE"]).read_text("utf-8").splitlines()
    return _keys(keys)


def _keys(keys: list[str]) -> tuple[str, ...]:
    return tuple(key.strip() for key in keys if key.strip() and not key.strip().startswith("#"))
