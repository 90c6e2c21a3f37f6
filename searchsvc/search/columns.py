"""Per-document values held as numpy arrays, indexed by document number: the section and
``published`` columns (facets, filters, date sorting, freshness) and the ranked fields'
lengths (BM25F).

Whoosh reads a column value or a field length one document at a time in Python. Here each
segment's are read once into arrays (cached per segment, so a live update only loads its
new segment) and concatenated per searcher; a facet is then a ``bincount`` or a ``unique``
over the matching document numbers, and scoring every match is a few array operations.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import NumericColumn
from whoosh.reading import IndexReader
from whoosh.util.times import datetime_to_long

from searchsvc.posting_arrays import BYTE_LENGTHS, column_bytes
from searchsvc.search.cache import LruCache

MISSING_TICKS = np.iinfo(np.int64).min  # no published date
_SEGMENT_CACHE_SIZE = 64
# Whoosh stores a field's length in one byte (lossy); this is what doc_field_length()
# decodes each byte to, with 1 for no length, as BM25F asks for it.
_BYTE_LENGTHS = np.maximum(np.array(BYTE_LENGTHS, dtype=np.float64), 1)


def ticks_of(moment: datetime) -> int:
    """Whoosh's column value (µs since year 1, naive UTC) for a naive-UTC or aware datetime."""
    if moment.tzinfo is not None:
        moment = (moment - moment.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]
    return datetime_to_long(moment)


class SectionVocabulary:
    """Section names <-> small integer codes, shared by every segment of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.names: list[str] = []
        self._codes: dict[str, int] = {}

    def code(self, name: str) -> int:
        with self._lock:
            found = self._codes.get(name)
            if found is None:
                found = self._codes[name] = len(self.names)
                self.names.append(name)
            return found

    def codes_matching(self, requested: tuple[str, ...]) -> np.ndarray:
        """Codes of the known sections equal to the requested ones, ignoring case."""
        wanted = {name.casefold() for name in requested}
        return np.array([code for code, name in enumerate(self.names) if name.casefold() in wanted], dtype=np.int32)


@dataclass(frozen=True)
class Columns:
    """Per-document values of one searcher, indexed by global document number."""

    section_codes: np.ndarray  # int32
    ticks: np.ndarray  # int64, MISSING_TICKS where there is no date
    lengths: Mapping[str, np.ndarray]  # float64 length of each ranked field (1 when empty)


@dataclass(frozen=True)
class _SegmentColumns:
    section_codes: np.ndarray
    ticks: np.ndarray
    lengths: dict[str, np.ndarray]


class ColumnCache:
    """Loads and caches each segment's columns; concatenates them per searcher."""

    def __init__(self, vocabulary: SectionVocabulary, length_fields: tuple[str, ...]) -> None:
        self.vocabulary = vocabulary
        self.length_fields = length_fields
        self._segments: LruCache[_SegmentColumns] = LruCache(_SEGMENT_CACHE_SIZE)

    def columns(self, reader: IndexReader, index_path: str) -> Columns:
        parts = [self._segment(leaf, index_path) for leaf, _offset in reader.leaf_readers()]
        if not parts:
            return Columns(np.zeros(0, np.int32), np.zeros(0, np.int64), {name: np.zeros(0) for name in self.length_fields})
        return Columns(
            np.concatenate([p.section_codes for p in parts]),
            np.concatenate([p.ticks for p in parts]),
            {name: np.concatenate([p.lengths[name] for p in parts]) for name in self.length_fields},
        )

    def _segment(self, leaf: IndexReader, index_path: str) -> _SegmentColumns:
        return self._segments.get_or_load((index_path, leaf.segment().segment_id()), lambda: self._load(leaf))

    def _load(self, leaf: IndexReader) -> _SegmentColumns:
        size = leaf.doc_count_all()
        codes = np.fromiter(
            (self.vocabulary.code(value.decode("utf-8")) for value in leaf.column_reader("section", translate=False)),
            dtype=np.int32,
            count=size,
        )
        raw = _numeric_values(leaf.column_reader("published", translate=False), size)
        # A document without a date holds the column's default, the largest unsigned value.
        ticks = np.where(raw > np.iinfo(np.int64).max, MISSING_TICKS, raw.astype(np.int64, casting="unsafe"))
        return _SegmentColumns(codes, ticks, {name: _field_lengths(leaf, name, size) for name in self.length_fields})


def _field_lengths(leaf: IndexReader, fieldname: str, size: int) -> np.ndarray:
    """What ``leaf.doc_field_length(docnum, fieldname, 1)`` gives, for every document at once."""
    column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)  # a column outside the schema
    if column is None:
        return np.ones(size)
    return _BYTE_LENGTHS[_numeric_values(column, size)]


def _numeric_values(column: Any, size: int) -> np.ndarray:
    """All values of a Whoosh numeric column, read in one piece: fixed-size big-endian
    numbers, the column's default after the last one written. Iterating the reader cost
    a Python call per document: seconds per worker on a large index."""
    if not isinstance(column, NumericColumn.Reader):
        return np.fromiter(column, dtype=np.uint64, count=size)
    values = np.frombuffer(column_bytes(column), dtype=">" + column._typecode)
    filled = np.full(size, column._default, dtype=values.dtype.newbyteorder("="))
    filled[: values.size] = values[:size]
    return filled


