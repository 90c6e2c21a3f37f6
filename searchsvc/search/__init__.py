"""The search layer: SearchRequest in, SearchResult out. Knows nothing of Flask."""

from searchsvc.search.model import (
    DEFAULT_FACET_SIZE,
    DEFAULT_FACETS,
    FACET_NAMES,
    HIT_FIELDS,
    MAX_FACET_SIZE,
    DateBucket,
    DateField,
    DateInterval,
    Hit,
    SearchError,
    SearchRequest,
    SearchResult,
    SectionCount,
    Sort,
    ValueCounts,
)
from searchsvc.search.service import IndexStatus, SearchService, SearchSettings
from searchsvc.search.timeline import Timeline, TimelineBucket, TimelineInterval

__all__ = [
    "DEFAULT_FACETS",
    "DEFAULT_FACET_SIZE",
    "FACET_NAMES",
    "HIT_FIELDS",
    "MAX_FACET_SIZE",
    "DateBucket",
    "DateField",
    "DateInterval",
    "Hit",
    "IndexStatus",
    "SearchError",
    "SearchRequest",
    "SearchResult",
    "SearchService",
    "SearchSettings",
    "SectionCount",
    "Sort",
    "Timeline",
    "TimelineBucket",
    "TimelineInterval",
    "ValueCounts",
]
