"""Per-document values held as numpy arrays, indexed by document number: the section and
``published`` columns (facets, filters, date sorting, freshness), the author and tag lists
(facets, filters) and the ranked fields' lengths (BM25F).

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

from searchsvc.near_duplicates import BAND_FIELDS, NO_BAND
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


def keyword_term(value: str) -> str:
    """The term the index holds for an author or tag as written: what ``KEYWORD(commas=True,
    lowercase=True)`` makes of it after ``store.article_fields`` turned its commas to spaces."""
    return value.replace(",", " ").strip().lower()


class KeywordVocabulary:
    """Author (or tag) terms <-> small integer codes, each with its name as first written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.names: list[str] = []
        self._codes: dict[str, int] = {}
        self._ranks: np.ndarray = np.zeros(0, np.int64)

    def known(self, term: str) -> int | None:
        return self._codes.get(term)

    def code(self, term: str, name: str) -> int:
        with self._lock:
            found = self._codes.get(term)
            if found is None:
                found = self._codes[term] = len(self.names)
                self.names.append(name)
            return found

    def codes_matching(self, requested: tuple[str, ...]) -> np.ndarray:
        """Codes of the known values equal to the requested ones, ignoring case."""
        found = (self._codes.get(keyword_term(name)) for name in requested)
        return np.array([code for code in found if code is not None], dtype=np.int32)

    def ranks(self) -> np.ndarray:
        """Each code's position in the names' case-insensitive order (ties of equal counts)."""
        ranks = self._ranks
        if ranks.size != len(self.names):
            names = list(self.names)
            ranks = np.empty(len(names), np.int64)
            ranks[sorted(range(len(names)), key=lambda code: (names[code].casefold(), names[code]))] = np.arange(len(names))
            self._ranks = ranks
        return ranks


@dataclass(frozen=True)
class KeywordColumn:
    """A many-valued column: one (document, value code) pair per value, in document order,
    and where each document's pairs start (so a few matches read only their own pairs)."""

    docs: np.ndarray  # int64 global document numbers, ascending
    codes: np.ndarray  # int32 codes of a KeywordVocabulary
    starts: np.ndarray  # int64, len = documents + 1: document d's pairs are [starts[d], starts[d + 1])

    @classmethod
    def of(cls, docs: np.ndarray, codes: np.ndarray, documents: int) -> KeywordColumn:
        order = np.argsort(docs, kind="stable")
        docs = docs[order]
        return cls(docs, codes[order], np.searchsorted(docs, np.arange(documents + 1)))

    def codes_of(self, docnums: np.ndarray) -> np.ndarray:
        """The value codes of these documents (sorted, unique), all their pairs at once: kept
        by a mask over all documents when they are many, else gathered by their ranges."""
        if docnums.size * 8 > self.starts.size:
            chosen = np.zeros(self.starts.size - 1, dtype=bool)
            chosen[docnums] = True
            return self.codes[chosen[self.docs]]
        first, counts = self.starts[docnums], self.starts[docnums + 1] - self.starts[docnums]
        shifts = np.repeat(first - (np.cumsum(counts) - counts), counts)
        return self.codes[shifts + np.arange(shifts.size)]

    def documents_with(self, codes: np.ndarray) -> np.ndarray:
        """A mask over all documents: those holding any of ``codes``."""
        mask = np.zeros(self.starts.size - 1, dtype=bool)
        mask[self.docs[np.isin(self.codes, codes)]] = True
        return mask


# The many-valued fields: the indexed KEYWORD field, and the stored list giving names as written.
KEYWORD_FIELDS = {"author": "authors", "tag": "tags"}


@dataclass(frozen=True)
class Columns:
    """Per-document values of one searcher, indexed by global document number."""

    section_codes: np.ndarray  # int32
    ticks: np.ndarray  # int64, MISSING_TICKS where there is no date
    lengths: Mapping[str, np.ndarray]  # float64 length of each ranked field (1 when empty)
    keywords: Mapping[str, KeywordColumn]  # by field of KEYWORD_FIELDS
    updated_ticks: np.ndarray  # int64 like ticks, of ``updated`` (``published`` where absent)
    bands: np.ndarray  # uint64 (documents, BANDS): near-duplicate MinHash bands, NO_BAND where none


@dataclass(frozen=True)
class _SegmentColumns:
    section_codes: np.ndarray
    ticks: np.ndarray
    lengths: dict[str, np.ndarray]
    keywords: dict[str, KeywordColumn]  # segment-local document numbers
    updated_ticks: np.ndarray
    bands: np.ndarray


class ColumnCache:
    """Loads and caches each segment's columns; concatenates them per searcher."""

    def __init__(self, vocabulary: SectionVocabulary, length_fields: tuple[str, ...], keywords: Mapping[str, KeywordVocabulary] | None = None) -> None:
        self.vocabulary = vocabulary
        self.length_fields = length_fields
        self.keywords = keywords or {}  # the many-valued columns to load (none: no author/tag facets)
        self._segments: LruCache[_SegmentColumns] = LruCache(_SEGMENT_CACHE_SIZE)

    def columns(self, reader: IndexReader, index_path: str) -> Columns:
        leaves = reader.leaf_readers()
        parts = [self._segment(leaf, index_path) for leaf, _offset in leaves]
        if not parts:
            empty = KeywordColumn.of(np.zeros(0, np.int64), np.zeros(0, np.int32), 0)
            return Columns(np.zeros(0, np.int32), np.zeros(0, np.int64), {name: np.zeros(0) for name in self.length_fields}, {name: empty for name in self.keywords}, np.zeros(0, np.int64),
                           np.zeros((0, len(BAND_FIELDS)), np.uint64))
        documents = sum(p.section_codes.size for p in parts)
        return Columns(
            np.concatenate([p.section_codes for p in parts]),
            np.concatenate([p.ticks for p in parts]),
            {name: np.concatenate([p.lengths[name] for p in parts]) for name in self.length_fields},
            {
                name: KeywordColumn.of(
                    np.concatenate([p.keywords[name].docs + offset for p, (_leaf, offset) in zip(parts, leaves)]),
                    np.concatenate([p.keywords[name].codes for p in parts]),
                    documents,
                )
                for name in self.keywords
            },
            np.concatenate([p.updated_ticks for p in parts]),
            np.concatenate([p.bands for p in parts]),
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
        ticks = _date_ticks(leaf, "published", size)
        # An index written before ``updated`` existed: each article's updated is its published.
        updated = _date_ticks(leaf, "updated", size) if "updated" in leaf.schema else ticks
        return _SegmentColumns(
            codes, ticks,
            {name: _field_lengths(leaf, name, size) for name in self.length_fields},
            {name: _keyword_pairs(leaf, name, vocabulary, size) for name, vocabulary in self.keywords.items()},
            np.where(updated == MISSING_TICKS, ticks, updated),
            _bands(leaf, size),
        )


def _date_ticks(leaf: IndexReader, fieldname: str, size: int) -> np.ndarray:
    raw = _numeric_values(leaf.column_reader(fieldname, translate=False), size)
    # A document without a date holds the column's default, the largest unsigned value.
    return np.where(raw > np.iinfo(np.int64).max, MISSING_TICKS, raw.astype(np.int64, casting="unsafe"))


def _bands(leaf: IndexReader, size: int) -> np.ndarray:
    """The near-duplicate bands of a segment's documents; none in an index built before them."""
    if BAND_FIELDS[0] not in leaf.schema:
        return np.full((size, len(BAND_FIELDS)), NO_BAND, dtype=np.uint64)
    return np.stack([_numeric_values(leaf.column_reader(name, translate=False), size).astype(np.uint64) for name in BAND_FIELDS], axis=1)


def _keyword_pairs(leaf: IndexReader, fieldname: str, vocabulary: KeywordVocabulary, size: int) -> KeywordColumn:
    """A segment's (document, value) pairs, read from the inverted index term by term: one
    posting list per distinct author or tag, never a stored document per article."""
    docs: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for raw in leaf.lexicon(fieldname) if fieldname in leaf.schema else ():
        term = raw.decode("utf-8")
        ids = np.fromiter(leaf.postings(fieldname, raw).all_ids(), dtype=np.int64)
        if not ids.size:  # every article with this author or tag deleted (the term stays until a merge)
            continue
        code = vocabulary.known(term)
        if code is None:
            code = vocabulary.code(term, _name_as_written(leaf, int(ids[0]), KEYWORD_FIELDS[fieldname], term))
        docs.append(ids)
        codes.append(np.full(ids.size, code, dtype=np.int32))
    if not docs:
        return KeywordColumn.of(np.zeros(0, np.int64), np.zeros(0, np.int32), size)
    return KeywordColumn.of(np.concatenate(docs), np.concatenate(codes), size)


def _name_as_written(leaf: IndexReader, docnum: int, stored_name: str, term: str) -> str:
    """The value of ``term`` as the first article holding it wrote it."""
    written = leaf.stored_fields(docnum).get(stored_name) or ()
    return next((value for value in written if keyword_term(value) == term), term)


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


