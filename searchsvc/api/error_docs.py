"""The error statuses every operation can answer, added to the OpenAPI document, in order.

Some statuses come from layers in front of the views, not from the views themselves: size
limits (413 for bodies, 414 for query strings), rate limits (429 under /api/), the index
missing (503 under /api/) and the catch-all 500. Views document what they decide; this
apispec plugin documents the rest for every operation, so the document lists every status
a route can return (schemathesis checks that it does). Each uses our error envelope.
Responses are then listed in status order, as a reader of /docs looks for them, each
saying what it means here rather than the status's name.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin

from searchsvc.api.limits import LIMITED_PREFIX

EVERY_OPERATION = (HTTPStatus.REQUEST_URI_TOO_LONG, HTTPStatus.INTERNAL_SERVER_ERROR)
API_OPERATIONS = (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE)
WITH_BODY = (HTTPStatus.REQUEST_ENTITY_TOO_LARGE,)
DESCRIPTIONS = {
    HTTPStatus.BAD_REQUEST: "A parameter is invalid (the error's parameter names it)",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The body is larger than SEARCHSVC_MAX_BODY_BYTES",
    HTTPStatus.REQUEST_URI_TOO_LONG: "The query string is longer than SEARCHSVC_MAX_QUERY_STRING bytes",
    HTTPStatus.TOO_MANY_REQUESTS: "Over this client's rate limit; retry after Retry-After seconds",
    HTTPStatus.INTERNAL_SERVER_ERROR: "An unexpected error (logged with the request id)",
    HTTPStatus.SERVICE_UNAVAILABLE: "No index has been built yet; retry after Retry-After seconds",
}
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


class CommonErrors(BasePlugin):
    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            statuses = list(EVERY_OPERATION)
            if path and path.startswith(LIMITED_PREFIX):
                statuses += API_OPERATIONS
            if "requestBody" in operation:
                statuses += WITH_BODY
            # Views give statuses as ints, flask-smorest's parameter errors as strings: one key each.
            responses = {str(status): response for status, response in operation.get("responses", {}).items()}
            for status in statuses:
                responses.setdefault(str(status.value), status.name)
            operation["responses"] = {status: _described(int(status), responses[status]) for status in sorted(responses)}


def _described(status: int, response: Any) -> Any:
    """A response flask-smorest names by its status (described "Bad Request") with what it means here."""
    if isinstance(response, str) and status in DESCRIPTIONS:
        return {"description": DESCRIPTIONS[HTTPStatus(status)], "content": ERROR_CONTENT}
    return response
