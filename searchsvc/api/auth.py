"""Bearer keys for write and replication endpoints: compared in constant time, never logged."""

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


def require_key(config_name: str, disabled_code: str, disabled_message: str) -> Callable[[View], View]:
    """A decorator refusing requests without ``Authorization: Bearer <a key in config[config_name]>``
    (403 ``disabled_code`` when no key is configured: the feature is off)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            keys: tuple[str, ...] = current_app.config[config_name]
            if not keys:
                abort(403, message=disabled_message, code=disabled_code)
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            challenge = {"WWW-Authenticate": 'Bearer realm="searchsvc"'}
            if scheme.lower() != "bearer" or not given.strip():
                abort(401, message="This endpoint needs an 'Authorization: Bearer <key>' header.", code="unauthorized", headers=challenge)
            if not _key_is_valid(given.strip(), keys):
                abort(401, message="The key is not valid.", code="unauthorized", headers=challenge)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


require_write_key = require_key(
    "API_KEYS", "writes_disabled",
    "Writes are disabled: set SEARCHSVC_API_KEYS (comma-separated keys) or SEARCHSVC_API_KEYS_FILE and restart the service.",
)
require_replication_key = require_key(
    "REPLICATION_KEYS", "replication_disabled",
    "Replication is disabled on this node: set SEARCHSVC_REPLICATION_KEYS on the primary and restart it.",
)
