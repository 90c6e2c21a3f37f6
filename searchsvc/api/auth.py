"""Bearer keys for write endpoints: compared in constant time, never logged."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request
from flask_smorest import abort

View = TypeVar("View", bound=Callable[..., Any])

SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "description": "A key from SEARCHSVC_API_KEYS."}


def _key_is_valid(given: str, keys: tuple[str, ...]) -> bool:
    given_bytes = given.encode()
    # Compare with every key (no early exit) so timing tells nothing about which matched.
    matches = [hmac.compare_digest(given_bytes, key.encode()) for key in keys]
    return any(matches)


def require_write_key(view: View) -> View:
    """Refuse the request unless it carries ``Authorization: Bearer <a configured key>``."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        keys: tuple[str, ...] = current_app.config["API_KEYS"]
        if not keys:
            abort(403, message="Writes are disabled: set SEARCHSVC_API_KEYS (comma-separated keys) or "
                  "SEARCHSVC_API_KEYS_FILE and restart the service.", code="writes_disabled")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="searchsvc"'}
        if scheme.lower() != "bearer" or not given.strip():
            abort(401, message="This endpoint needs an 'Authorization: Bearer <key>' header.", code="unauthorized", headers=challenge)
        if not _key_is_valid(given.strip(), keys):
            abort(401, message="The key is not valid.", code="unauthorized", headers=challenge)
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]
