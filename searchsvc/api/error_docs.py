"""The error statuses every operation can answer, added to the OpenAPI document.

Some statuses come from layers in front of the views, not from the views themselves: size
limits (413 for bodies, 414 for query strings), rate limits (429 under /api/), the index
missing (503 under /api/) and the catch-all 500. Views document what they decide; this
apispec plugin documents the rest for every operation, so the document lists every status
a route can return (schemathesis checks that it does). Each uses our error envelope.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin

from searchsvc.api.limits import LIMITED_PREFIX

EVERY_OPERATION = (HTTPStatus.REQUEST_URI_TOO_LONG, HTTPStatus.INTERNAL_SERVER_ERROR)
API_OPERATIONS = (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE)
WITH_BODY = (HTTPStatus.REQUEST_ENTITY_TOO_LARGE,)


class CommonErrors(BasePlugin):
    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            statuses = list(EVERY_OPERATION)
            if path and path.startswith(LIMITED_PREFIX):
                statuses += API_OPERATIONS
            if "requestBody" in operation:
                statuses += WITH_BODY
            responses = operation.setdefault("responses", {})
            for status in statuses:
                # flask-smorest registers a response component per status name, with our ErrorSchema.
                responses.setdefault(str(status.value), status.name)
