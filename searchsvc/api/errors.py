"""One JSON error envelope for every 4xx and 5xx: status, code, message, parameter."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException, InternalServerError

from searchsvc.search import SearchError
from searchsvc.store import NoIndexError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    410: "gone",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_parameter",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    503: "unavailable",
}


def envelope(status: int, message: str, code: str | None = None, parameter: str | None = None) -> dict[str, Any]:
    return {"status": status, "code": code or _CODES.get(status, "error"), "message": message, "parameter": parameter}


def http_error(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Flask/werkzeug and webargs errors in our envelope (webargs' 422 becomes a 400)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    # werkzeug's own headers (Allow on 405, WWW-Authenticate on 401, …), not its HTML content type.
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    if "messages" in data:  # a webargs validation error: name the first parameter at fault
        parameter, reason = _first_problem(data["messages"])
        return envelope(400, f"{parameter}: {reason}" if parameter else reason, "invalid_parameter", parameter), 400, headers
    message = data.get("message") or error.description or error.name
    payload = envelope(status, message, data.get("code"), data.get("parameter"))
    if "errors" in data:
        payload["errors"] = data["errors"]
    return payload, status, headers


_LOCATIONS = {"query", "json", "view_args", "headers", "form"}


def _first_problem(messages: Any) -> tuple[str | None, str]:
    """webargs gives {"query": {"per_page": ["Must be ..."]}}; return ("per_page", "Must be ...")."""
    if isinstance(messages, dict) and messages and set(messages) <= _LOCATIONS:
        messages = next(iter(messages.values()))
    if isinstance(messages, dict) and messages:
        key, value = next(iter(messages.items()))
        return (None if key == "_schema" else str(key)), _text(value)
    return None, _text(messages)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value)


def init_app(app: Flask) -> None:
    @app.errorhandler(SearchError)
    def search_error(error: SearchError):  # type: ignore[no-untyped-def]
        return envelope(400, error.message, error.code, error.parameter), 400

    @app.errorhandler(NoIndexError)
    def no_index(error: NoIndexError):  # type: ignore[no-untyped-def]
        return envelope(503, str(error), "index_unavailable"), 503, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error")
        return http_error(InternalServerError())
