"""Ingestion sources: one reader per input form, chosen by file suffix.

Every reader yields :class:`Article` for a good record and :class:`Problem` for a bad one
(or for a source that cannot be read at all), so one bad record never stops a run and the
report can name the file and line. Nothing here imports whoosh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from searchsvc.sources.base import Problem, Record, validate_record
from searchsvc.sources import feeds, json_files, jsonl, pages

__all__ = ["Problem", "Record", "read_sources", "validate_record", "SUFFIXES"]

Reader = Callable[[Path], Iterator[Record]]

# Longest suffix first, so ".jsonl.gz" wins over ".gz".
SUFFIXES: dict[str, Reader] = {
    ".jsonl.gz": jsonl.read,
    ".jsonl": jsonl.read,
    ".json": json_files.read,
    ".txt": pages.read,
    ".xml": feeds.read,
    ".rss": feeds.read,
    ".atom": feeds.read,
}


def reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    for suffix, reader in SUFFIXES.items():
        if name.endswith(suffix):
            return reader
    return None


def _files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and reader_for(path):
            yield path


def read_sources(paths: Iterable[str | Path]) -> Iterator[Record]:
    """Yield every record of every source; folders are read recursively, in name order."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for file in _files_under(path):
                yield from reader_for(file)(file)  # type: ignore[misc]
            continue
        reader = reader_for(path)
        if reader is None:
            yield Problem(str(path), "", None, f"unsupported source type (expected one of {', '.join(SUFFIXES)})")
        elif not path.exists():
            yield Problem(str(path), "", None, "no such file or folder")
        else:
            yield from reader(path)
