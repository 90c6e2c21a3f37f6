"""An optional recency boost for relevance ranking: news gets stale.

A match's relevance is multiplied by a factor of its age: 1 for the newest days (so the
order of today's articles stays pure relevance), then the part above ``FLOOR`` halves
every ``half_life_days``, so an old article that is much more relevant still beats a new
one that barely matches. Age is measured from the newest article in the index (or now,
if that is earlier), so an archive ranks as it did when it was live; undated articles
count as old.

The boost re-scores the pool of best matches by relevance (``RankingSettings.pool`` of
them, or the requested page depth if deeper), with one numpy expression over the pool's
date column: it costs almost nothing and only reorders articles that were relevant
anyway. Scoring every match through a Whoosh ``FunctionWeighting`` instead would cost a
Python call per match and word, to lift articles from below the pool, which a boost on
*relevance* should not do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from searchsvc.search.columns import MISSING_TICKS, ticks_of

FLOOR = 0.25  # the factor of the oldest articles: 4x the relevance still wins
_TICKS_PER_DAY = 86_400 * 1_000_000


@dataclass(frozen=True)
class FreshnessSettings:
    default_on: bool = False  # whether a request that does not say gets the boost
    half_life_days: float = 14.0  # the boost halves every this many days after the flat period
    flat_days: float = 1.0  # articles this recent all get the full factor


def half_life(requested: bool | float | None, settings: FreshnessSettings) -> float:
    """The half-life in days a request asks for; 0 means no boost.

    ``None``: the configured default; ``True``/``False``: on (configured half-life) or
    off; a number: on with that half-life.
    """
    if requested is None:
        requested = settings.default_on
    if requested is True:
        return settings.half_life_days
    return max(0.0, float(requested))


def rescore(ranked: list[tuple[int, float]], ticks: np.ndarray, half_life_days: float, settings: FreshnessSettings) -> list[tuple[int, float]]:
    """``(docnum, score)`` pairs with scores multiplied by freshness, best first.

    ``ticks`` is the index's ``published`` column by document number.
    """
    if not ranked:
        return ranked
    docnums = np.array([docnum for docnum, _ in ranked], dtype=np.int64)
    scores = np.array([score for _, score in ranked]) * factors(ticks[docnums], _newest(ticks), half_life_days, settings.flat_days)
    order = np.argsort(-scores, kind="stable")
    return [(int(docnums[i]), float(scores[i])) for i in order]


def factors(ticks: np.ndarray, newest: int, half_life_days: float, flat_days: float) -> np.ndarray:
    """The boost of each document from its ``published`` column value (ticks)."""
    reference = min(newest, ticks_of(datetime.now(timezone.utc)))
    undated = ticks == MISSING_TICKS
    age_days = (reference - np.where(undated, reference, ticks)) / _TICKS_PER_DAY
    past_flat = np.clip(age_days - flat_days, 0.0, None)
    return np.where(undated, FLOOR, FLOOR + (1.0 - FLOOR) * np.exp2(-past_flat / half_life_days))


def _newest(ticks: np.ndarray) -> int:
    dated = ticks[ticks != MISSING_TICKS]
    return int(dated.max()) if dated.size else ticks_of(datetime.now(timezone.utc))
