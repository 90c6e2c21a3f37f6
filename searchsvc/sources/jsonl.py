"""JSON Lines (``.jsonl``, ``.jsonl.gz``): one article object per line.

Lines are framed independently, so a bad line (invalid JSON, not an object, not UTF-8, too
long) is one Problem and the lines after it are still read. The file is streamed: memory is
bounded by MAX_LINE_BYTES, and an over-long line is skipped without being held whole. A gzip
stream that breaks (truncated, corrupt) ends the file with one Problem naming the line it
reached, after the articles read before it.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from searchsvc.sources.base import (
    Problem,
    Record,
    UnreadableSource,
    cannot_read,
    not_utf8,
    parse_json,
    reports_unreadable,
    validate_record,
)

MAX_LINE_BYTES = 1_000_000
_SKIP_CHUNK = 64 * 1024


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _lines(file: BinaryIO) -> Iterator[bytes | None]:
    """Each line's bytes, or None for a line over MAX_LINE_BYTES (read past, never kept)."""
    while line := file.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := file.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def _broken_stream(error: OSError | EOFError | zlib.error) -> str:
    if isinstance(error, EOFError):
        return f"truncated gzip file: {error}"
    if isinstance(error, zlib.error):
        return f"corrupt gzip data: {error}"
    if isinstance(error, gzip.BadGzipFile):
        return f"not a gzip file: {error}"
    return cannot_read(error)


def _record(line: bytes | None, source: str, number: int) -> Record | None:
    location = f"line {number}"
    if line is None:
        return Problem(source, location, None, f"line longer than {MAX_LINE_BYTES} bytes, skipped")
    if not line.strip():
        return None
    try:
        text = line.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        return Problem(source, location, None, not_utf8(error))
    try:
        raw = parse_json(text)
    except ValueError as error:
        return Problem(source, location, None, str(error))
    return validate_record(raw, source, location)


@reports_unreadable
def read(path: Path) -> Iterator[Record]:
    source = str(path)
    try:
        file = _open(path)
    except OSError as error:
        raise UnreadableSource(cannot_read(error)) from None
    with file:
        number = 0
        try:
            for number, line in enumerate(_lines(file), start=1):
                record = _record(line, source, number)
                if record is not None:
                    yield record
        except (OSError, EOFError, zlib.error) as error:
            raise UnreadableSource(_broken_stream(error), f"line {number + 1}") from None
