"""What one client may send and how often: body and query-string size, per-client rate limits.

Rate limits are flask-limiter application-wide limits keyed by the client address, so one
budget covers every route of a kind: reads (GET/HEAD/OPTIONS under /api/) and writes (any other
method under /api/) are counted separately, decided here from the method and path, so
views need no decorators. The counters live in the storage named by RATE_LIMIT_STORAGE
(see searchsvc/ratelimit_storage.py for why SQLite by default under gunicorn).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import RequestEntityTooLarge, RequestURITooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

import searchsvc.ratelimit_storage  # noqa: F401  (registers the sqlite:// storage scheme)
from searchsvc.api.errors import envelope

READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
LIMITED_PREFIX = "/api/"
DISABLED = {"", "0", "off", "none", "false"}


def init_app(app: Flask) -> None:
    _trust_proxies(app, app.config["TRUSTED_PROXIES"])
    _bound_request_size(app)
    limits = [
        ApplicationLimit(value, scope=scope, methods=methods, exempt_when=_outside_api)
        for value, scope, methods in (
            (app.config["RATE_LIMIT_READ"], "read", READ_METHODS),
            (app.config["RATE_LIMIT_WRITE"], "write", WRITE_METHODS),
        )
        if value.strip().lower() not in DISABLED
    ]
    if limits:
        app.after_request(_retry_after_only_when_refused)  # runs after flask-limiter's (registered later)
        limiter = Limiter(
            key_func=client_address,
            app=app,
            application_limits=limits,
            storage_uri=app.config["RATE_LIMIT_STORAGE"],
            strategy="fixed-window",
            headers_enabled=True,
            key_prefix="searchsvc",
            swallow_errors=True,  # an unreachable counter store is logged, never takes the search down
        )
        app.register_error_handler(RateLimitExceeded, _rate_limited(limiter))


def client_address() -> str:
    """Who a request counts against: the peer address (the proxy-corrected one behind trusted proxies)."""
    return request.remote_addr or "unknown"


def _outside_api() -> bool:
    return not request.path.startswith(LIMITED_PREFIX)


def _trust_proxies(app: Flask, count: int) -> None:
    """Behind ``count`` proxies, the client is the address they appended to X-Forwarded-For.

    Never by default: anyone can send that header, and trusting it would let a client
    pick a fresh identity (and a fresh rate limit) per request.
    """
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count)  # type: ignore[method-assign]


def _bound_request_size(app: Flask) -> None:
    """Refuse oversized requests up front, before anything reads them.

    Flask enforces MAX_CONTENT_LENGTH only when a view reads the body; checking the
    declared length here answers 413 on every route, whatever the view does.
    """

    @app.before_request
    def refuse_oversized() -> None:
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge(f"The request body is {request.content_length} bytes; the limit is {limit}.")
        if len(request.query_string) > app.config["MAX_QUERY_STRING"]:
            raise RequestURITooLarge(
                f"The query string is {len(request.query_string)} bytes; the limit is {app.config['MAX_QUERY_STRING']}."
            )


def _retry_after_only_when_refused(response: Response) -> Response:
    """flask-limiter puts Retry-After on every response; it means "come back later" only on 429/503."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def _rate_limited(limiter: Limiter):  # type: ignore[no-untyped-def]
    def answer(error: RateLimitExceeded) -> tuple[dict[str, Any], int, dict[str, str]]:
        """429 in our envelope, naming the limit and when its window resets (flask-limiter
        then adds its X-RateLimit-* headers and keeps this Retry-After)."""
        current = limiter.current_limit
        retry_after = max(1, int(current.reset_at - time.time())) if current else 1
        message = f"Too many requests: the limit is {error.limit.limit} per client. Retry in {retry_after} s."
        return envelope(429, message, "rate_limited"), 429, {"Retry-After": str(retry_after)}

    return answer
