"""Exact facet counts over all matches, from the per-document columns (search/columns.py).

Whoosh's ``groupedby`` collects and scores every hit in Python; here a facet is a
``bincount`` or a ``unique`` over the matching documents' column values.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
from whoosh.util.times import datetime_to_long

from searchsvc.search.columns import MISSING_TICKS, KeywordColumn, KeywordVocabulary, SectionVocabulary, keyword_term
from searchsvc.search.model import DateBucket, DateInterval, SectionCount, ValueCounts

_EPOCH_TICKS = datetime_to_long(datetime(1970, 1, 1))
_TICKS_PER_DAY = 86_400 * 1_000_000
MAX_AUTO_BUCKETS = 24


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


class KeywordFacet:
    """Counts per author or per tag over the given matches, the ``size`` most frequent (ties by
    name) and every selected value; multi-select: computed without the facet's own filter.

    An article counts once per value it holds. The matches' (document, value) pairs are
    gathered from the column (no walk over documents) and counted with one ``bincount``.
    """

    def __init__(self, vocabulary: KeywordVocabulary) -> None:
        self.vocabulary = vocabulary

    def counts(self, column: KeywordColumn, matched: np.ndarray, selected: tuple[str, ...], size: int) -> ValueCounts:
        counts = np.bincount(column.codes_of(matched), minlength=len(self.vocabulary.names))
        present = np.flatnonzero(counts)
        ranks = self.vocabulary.ranks()[: counts.size]
        ordered = present[np.lexsort((ranks[present], -counts[present]))]
        shown = ordered[:size].tolist()
        chosen = self.vocabulary.codes_matching(selected).tolist()
        values = [SectionCount(self.vocabulary.names[code], int(counts[code]), code in chosen) for code in shown]
        values += [SectionCount(self.vocabulary.names[code], int(counts[code]), True) for code in chosen if code not in shown]
        # A selected value no article holds is still shown, as asked for, so it can be unselected.
        values += [SectionCount(name, 0, True) for name in dict.fromkeys(selected) if self.vocabulary.known(keyword_term(name)) is None]
        return ValueCounts(values, int(present.size) - len(shown))


class DateFacet:
    """Counts per year, month or day of ``published`` or ``updated`` (UTC), non-empty buckets in date order."""

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
        starts, counts = _counts(days.astype(unit))
        return [_bucket(start, int(count), interval) for start, count in zip(starts, counts)]


def _counts(periods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct periods, in order, and how many times each occurs: a ``bincount`` over
    the span when it is not much larger than the data (``np.unique`` hashes: 10x slower),
    else by sorting."""
    numbers = periods.view(np.int64)
    low = int(numbers.min())
    span = int(numbers.max()) - low + 1
    if span <= 4 * numbers.size + 10_000:
        counts = np.bincount(numbers - low, minlength=span)
        present = np.flatnonzero(counts)
        return (present + low).astype(np.int64).view(periods.dtype), counts[present]
    ordered = np.sort(numbers)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts].view(periods.dtype), np.diff(np.append(starts, ordered.size))


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
