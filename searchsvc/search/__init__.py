"""The search layer: SearchRequest in, SearchResult out. Knows nothing of Flask."""

from searchsvc.search.model import (
    DateBucket,
    DateInterval,
    Hit,
    SearchError,
    SearchRequest,
    SearchResult,
    SectionCount,
    Sort,
)
from searchsvc.search.service import IndexStatus, SearchService, SearchSettings

__all__ = [
    "DateBucket",
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
]
