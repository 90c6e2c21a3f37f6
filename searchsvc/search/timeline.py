"""Coverage over time: for every period of a range, the matching articles, all articles and
the share, as GDELT's timelines give it. Exact, with numpy over the date column: periods are
whole numbers (days since 1970, Monday-based weeks, numpy's months and years) counted with
one ``bincount`` each for the matches and for everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

import numpy as np
from whoosh.util.times import datetime_to_long

from searchsvc.search.columns import MISSING_TICKS
from searchsvc.search.model import SearchError

MAX_BUCKETS = 5_000  # 13 years of days: a coarser interval past that
_EPOCH_TICKS = datetime_to_long(datetime(1970, 1, 1))
_TICKS_PER_DAY = 86_400 * 1_000_000
_EPOCH = date(1970, 1, 1)


class TimelineInterval(str, Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class TimelineBucket:
    key: str  # 2025-03-14, 2025-W11 (ISO week), 2025-03, 2025
    start: date
    end: date  # inclusive
    count: int  # matching articles
    total: int  # all articles (under the same filters) in the period
    share: float  # count / total; 0 for an empty period


@dataclass(frozen=True)
class Timeline:
    query: str
    interval: TimelineInterval
    buckets: list[TimelineBucket]
    partial: bool


def coverage(matching: np.ndarray, everything: np.ndarray, interval: TimelineInterval,
             low: int | None = None, high: int | None = None) -> list[TimelineBucket]:
    """Every period from ``low`` (else the first dated article) to ``high`` (else the last),
    empty ones included; ``matching`` and ``everything`` are date ticks (undated ones ignored)."""
    dated = everything[everything != MISSING_TICKS]
    if dated.size == 0 and (low is None or high is None):
        return []
    first = _period(np.array([low if low is not None else dated.min()]), interval)[0]
    last = _period(np.array([high if high is not None else dated.max()]), interval)[0]
    span = int(last - first + 1)
    if span > MAX_BUCKETS:
        raise SearchError(f"{span} {interval.value}s is more than {MAX_BUCKETS} buckets: choose a coarser interval or a shorter range.", "interval")
    counts, totals = (_counts(ticks, interval, first, span) for ticks in (matching, everything))
    return [
        _bucket(int(first) + offset, interval, int(count), int(total))
        for offset, (count, total) in enumerate(zip(counts.tolist(), totals.tolist()))
    ]


def _counts(ticks: np.ndarray, interval: TimelineInterval, first: int, span: int) -> np.ndarray:
    periods = _period(ticks[ticks != MISSING_TICKS], interval) - first
    inside = periods[(periods >= 0) & (periods < span)]
    return np.bincount(inside, minlength=span)


def _period(ticks: np.ndarray, interval: TimelineInterval) -> np.ndarray:
    days = (np.asarray(ticks, dtype=np.int64) - _EPOCH_TICKS) // _TICKS_PER_DAY
    if interval is TimelineInterval.DAY:
        return days
    if interval is TimelineInterval.WEEK:
        return (days + 3) // 7  # 1970-01-01 was a Thursday: weeks from Monday to Sunday
    unit = "datetime64[M]" if interval is TimelineInterval.MONTH else "datetime64[Y]"
    return days.astype("datetime64[D]").astype(unit).astype(np.int64)


def _bucket(period: int, interval: TimelineInterval, count: int, total: int) -> TimelineBucket:
    if interval is TimelineInterval.DAY:
        start = end = _EPOCH + timedelta(days=period)
        key = start.isoformat()
    elif interval is TimelineInterval.WEEK:
        start = _EPOCH + timedelta(days=period * 7 - 3)
        end = start + timedelta(days=6)
        year, week, _ = start.isocalendar()
        key = f"{year}-W{week:02d}"
    elif interval is TimelineInterval.MONTH:
        start = date(1970 + period // 12, period % 12 + 1, 1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1)
        key = start.strftime("%Y-%m")
    else:
        start, end = date(1970 + period, 1, 1), date(1970 + period, 12, 31)
        key = str(start.year)
    return TimelineBucket(key, start, end, count, total, round(count / total, 6) if total else 0.0)
