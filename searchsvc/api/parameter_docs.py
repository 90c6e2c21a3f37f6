"""Query parameters documented as a client sends them.

A query string has no null: a parameter is given or absent. marshmallow marks a field
whose default is None as nullable, and apispec then documents ``nullable``, a ``null``
default and ``None`` among an enum's values, which reads as if ``sort=None`` were a choice
(and an enum of Python Enum values gets no type). This apispec plugin removes those from
query parameters and types string enums; the description says what absence means.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin


class QueryParameters(BasePlugin):
    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and parameter.get("in") == "query":
                    _without_null(parameter.get("schema", {}))


def _without_null(schema: dict[str, Any]) -> None:
    schema.pop("nullable", None)
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]
        if all(isinstance(value, str) for value in schema["enum"]):
            schema.setdefault("type", "string")
