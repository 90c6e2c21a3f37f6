"""One ``.json`` file holding either one article object or a JSON array of them.

A file that is not valid JSON is one Problem for the whole file (the reason carries the
decoder's line and column); in an array each entry is validated on its own, so a bad entry
is one Problem ("entry N", 1-based) and the others are still read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from searchsvc.sources.base import (
    Record,
    UnreadableSource,
    parse_json,
    read_text,
    reports_unreadable,
    validate_record,
)


@reports_unreadable
def read(path: Path) -> Iterator[Record]:
    source = str(path)
    try:
        data = parse_json(read_text(path))
    except ValueError as error:
        raise UnreadableSource(str(error)) from None
    if isinstance(data, list):
        for number, raw in enumerate(data, start=1):
            yield validate_record(raw, source, f"entry {number}")
    else:
        yield validate_record(data, source, "")
