"""Exact facet counts over all matches, from columns held as numpy arrays.

Whoosh's ``groupedby`` collects and scores every hit in Python. Instead each segment's
``section`` and ``published`` columns are read once into numpy arrays (cached per
segment, so a live update only loads its new segment), and a facet is a ``bincount`` or a
``unique`` over the matching document numbers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from whoosh.reading import IndexReader
from whoosh.util.times import datetime_to_long

from searchsvc.search.model import DateBucket, DateInterval, SectionCount

MISSING_TICKS = np.iinfo(np.int64).min  # no published date
_EPOCH_TICKS = datetime_to_long(datetime(1970, 1, 1))
_TICKS_PER_DAY = 86_400 * 1_000_000
_SEGMENT_CACHE_SIZE = 64
MAX_AUTO_BUCKETS = 24


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
    """Per-document facet values of one searcher, indexed by global document number."""

    section_codes: np.ndarray  # int32
    ticks: np.ndarray  # int64, MISSING_TICKS where there is no date


class ColumnCache:
    """Loads and caches each segment's columns; concatenates them per searcher."""

    def __init__(self, vocabulary: SectionVocabulary) -> None:
        self.vocabulary = vocabulary
        self._segments: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def columns(self, reader: IndexReader, index_path: str) -> Columns:
        parts = [self._segment(leaf, index_path) for leaf, _offset in reader.leaf_readers()]
        if not parts:
            return Columns(np.zeros(0, np.int32), np.zeros(0, np.int64))
        return Columns(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def _segment(self, leaf: IndexReader, index_path: str) -> tuple[np.ndarray, np.ndarray]:
        key = (index_path, leaf.segment().segment_id())
        with self._lock:
            if key in self._segments:
                self._segments.move_to_end(key)
                return self._segments[key]
        loaded = self._load(leaf)
        with self._lock:
            self._segments[key] = loaded
            while len(self._segments) > _SEGMENT_CACHE_SIZE:
                self._segments.popitem(last=False)
        return loaded

    def _load(self, leaf: IndexReader) -> tuple[np.ndarray, np.ndarray]:
        size = leaf.doc_count_all()
        codes = np.fromiter(
            (self.vocabulary.code(value.decode("utf-8")) for value in leaf.column_reader("section", translate=False)),
            dtype=np.int32,
            count=size,
        )
        raw = np.fromiter(leaf.column_reader("published", translate=False), dtype=np.uint64, count=size)
        # A document without a date holds the column's default, the largest unsigned value.
        ticks = np.where(raw > np.iinfo(np.int64).max, MISSING_TICKS, raw.astype(np.int64, casting="unsafe"))
        return codes, ticks


class SectionFacet:
    """Counts per section over the given matches (multi-select: computed without the section filter)."""

    def __init__(self, vocabulary: SectionVocabulary) -> None:
        self.vocabulary = vocabulary

    def counts(self, section_codes: np.ndarray, selected: tuple[str, ...]) -> list[SectionCount]:
        counts = np.bincount(section_codes, minlength=len(self.vocabulary.names)) if section_codes.size else np.zeros(len(self.vocabulary.names), np.int64)
        chosen = {name.casefold() for name in selected}
        result = [
            SectionCount(name, int(counts[code]), name.casefold() in chosen)
            for code, name in enumerate(self.vocabulary.names)
            if counts[code] or name.casefold() in chosen
        ]
        result.sort(key=lambda item: (-item.count, item.value.casefold()))
        return result


class DateFacet:
    """Counts per year, month or day of ``published`` (UTC), non-empty buckets in date order."""

    def choose_interval(self, ticks: np.ndarray) -> DateInterval:
        """The finest interval giving at most about MAX_AUTO_BUCKETS buckets over the span."""
        dated = ticks[ticks != MISSING_TICKS]
        if dated.size == 0:
            return DateInterval.MONTH
        first, last = (_as_date(int(dated.min())), _as_date(int(dated.max())))
        if (last - first).days < MAX_AUTO_BUCKETS:
            return DateInterval.DAY
        if (last.year - first.year) * 12 + last.month - first.month < MAX_AUTO_BUCKETS:
            return DateInterval.MONTH
        return DateInterval.YEAR

    def buckets(self, ticks: np.ndarray, interval: DateInterval) -> list[DateBucket]:
        dated = ticks[ticks != MISSING_TICKS]
        if dated.size == 0:
            return []
        days = ((dated - _EPOCH_TICKS) // _TICKS_PER_DAY).astype("datetime64[D]")
        unit = {DateInterval.YEAR: "datetime64[Y]", DateInterval.MONTH: "datetime64[M]", DateInterval.DAY: "datetime64[D]"}[interval]
        starts, counts = np.unique(days.astype(unit), return_counts=True)
        return [_bucket(start, int(count), interval) for start, count in zip(starts, counts)]


def _as_date(ticks: int) -> date:
    return date(1970, 1, 1) + timedelta(days=(ticks - _EPOCH_TICKS) // _TICKS_PER_DAY)


def _bucket(start: np.datetime64, count: int, interval: DateInterval) -> DateBucket:
    first = start.astype("datetime64[D]").item()
    if interval is DateInterval.DAY:
        return DateBucket(first.isoformat(), first, first, count)
    if interval is DateInterval.MONTH:
        following = (start + np.timedelta64(1, "M")).astype("datetime64[D]").item()
        return DateBucket(first.strftime("%Y-%m"), first, following - timedelta(days=1), count)
    return DateBucket(str(first.year), first, date(first.year, 12, 31), count)
