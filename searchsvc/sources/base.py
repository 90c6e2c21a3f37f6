"""What every reader shares: the Problem record, validation of one raw record, and reading
a source so that failure to read it becomes a Problem instead of an exception."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
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


# Whole-file sources (JSON files, pages, feeds) are read into memory; this bounds the cost
# of a stray huge file. JSON Lines is streamed and bounds each line instead.
MAX_SOURCE_BYTES = 64 * 1024 * 1024


class UnreadableSource(Exception):
    """A source, or the rest of it, cannot be read; becomes the one Problem naming it."""

    def __init__(self, reason: str, location: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.location = location


def reports_unreadable(reader: Callable[[Path], Iterator[Record]]) -> Callable[[Path], Iterator[Record]]:
    """Let a reader raise UnreadableSource and still never raise: the error ends its records
    with one Problem, after whatever it yielded before (e.g. the lines before a cut gzip)."""

    @functools.wraps(reader)
    def read(path: Path) -> Iterator[Record]:
        try:
            yield from reader(path)
        except UnreadableSource as error:
            yield Problem(str(path), error.location, None, error.reason)

    return read


def cannot_read(error: OSError) -> str:
    """An OSError as a reason without the repeated path (the Problem already names it)."""
    return f"cannot read: {error.strerror or error}"


def not_utf8(error: UnicodeDecodeError) -> str:
    return f"not UTF-8 (invalid byte 0x{error.object[error.start]:02x})"


def read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SOURCE_BYTES + 1)
    except OSError as error:
        raise UnreadableSource(cannot_read(error)) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise UnreadableSource(f"larger than {MAX_SOURCE_BYTES} bytes, not read")
    return data


def read_text(path: Path) -> str:
    """The whole file as UTF-8 (a leading BOM is allowed); a bad byte names its line."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableSource(not_utf8(error), f"line {line}") from None


def parse_json(text: str) -> Any:
    """json.loads whose every failure is a ValueError reading 'invalid JSON: ...'."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, and ints over Python's digit limit
        raise ValueError(f"invalid JSON: {error}") from None
