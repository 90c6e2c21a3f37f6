"""What every reader shares: the Problem record and validation of one raw record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError

from searchsvc.articles import Article, load_article


@dataclass(frozen=True, slots=True)
class Problem:
    """A record (or a whole source) that could not become an Article, and why."""

    source: str
    location: str  # "line 12", "entry 3", or "" when the whole source is unreadable
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.location}" if self.location else self.source
        what = f"{self.field}: {self.reason}" if self.field else self.reason
        return f"{where}: {what}"


Record = Article | Problem


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str | None, str]]:
    """Turn marshmallow's nested error dict into (field, reason) pairs."""
    if isinstance(messages, dict):
        pairs: list[tuple[str | None, str]] = []
        for key, value in messages.items():
            name = None if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            pairs.extend(_flatten(value, name or prefix))
        return pairs
    if isinstance(messages, list):
        return [(prefix or None, " ".join(str(m) for m in messages))]
    return [(prefix or None, str(messages))]


def validate_record(raw: Any, source: str, location: str) -> Record:
    """Validate one raw record; a failure becomes a Problem naming the first bad field."""
    try:
        return load_article(raw)
    except ValidationError as error:
        pairs = _flatten(error.messages)
        field, reason = pairs[0] if pairs else (None, "invalid record")
        if len(pairs) > 1:
            reason += f" (and {len(pairs) - 1} more: {', '.join(str(f) for f, _ in pairs[1:])})"
        return Problem(source, location, field, reason)
