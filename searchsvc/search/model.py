"""What a search is asked and what it answers: plain data, no Flask, no Whoosh."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from searchsvc.articles import Article


class Sort(str, Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    OLDEST = "oldest"


class DateField(str, Enum):
    """Which date date_from/date_to, the date sorts and the date facet read."""

    PUBLISHED = "published"
    UPDATED = "updated"


class DateInterval(str, Enum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


HIT_FIELDS = ("id", "url", "title", "summary", "section", "published", "updated", "authors", "tags", "score", "title_html", "snippet_html")
FACET_NAMES = ("section", "date", "author", "tag")
DEFAULT_FACETS = ("section", "date")
DEFAULT_FACET_SIZE = 10
MAX_FACET_SIZE = 100


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    sections: tuple[str, ...] = ()
    date_from: date | datetime | None = None  # a date means the start of that day (UTC)
    date_to: date | datetime | None = None  # a date means the whole of that day (UTC)
    sort: Sort | None = None  # None: relevance with a query, newest without
    page: int = 1
    per_page: int = 10
    date_interval: DateInterval | None = None  # None: chosen from the span of the matches
    # Recency boost of a relevance sort: None the configured default, True/False on/off,
    # a number on with that half-life in days.
    freshness: bool | float | None = None
    authors: tuple[str, ...] = ()  # OR-ed, case-insensitive, like sections
    tags: tuple[str, ...] = ()
    facets: tuple[str, ...] = DEFAULT_FACETS  # which of FACET_NAMES to compute
    facet_size: int = DEFAULT_FACET_SIZE  # values shown per author/tag facet
    prefix_last: bool = False  # search as you type: the last word of q is a prefix
    date_field: DateField = DateField.PUBLISHED
    fields: tuple[str, ...] = HIT_FIELDS  # the hit fields to return: work for the others is skipped
    snippet_length: int | None = None  # characters of snippet text; None: the default (200)
    highlight: bool = True  # False: title_html and snippet_html without <mark>
    after: str | None = None  # a cursor (next_cursor of the previous page): search/cursors.py
    collapse_duplicates: bool = False  # one hit per group of near-duplicates (search/duplicates.py)


@dataclass(frozen=True)
class Hit:
    article: Article  # body left empty: hits carry snippets, not whole bodies
    score: float
    title_html: str
    snippet_html: str
    similar_count: int | None = None  # collapsed: how many other matching articles its group holds
    similar_ids: tuple[str, ...] | None = None  # collapsed: their ids (at most MAX_SIMILAR_IDS)


@dataclass(frozen=True)
class SectionCount:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class ValueCounts:
    """A bounded facet: the values shown, and how many other values had matches."""

    values: list[SectionCount]
    omitted: int


@dataclass(frozen=True)
class DateBucket:
    key: str
    start: date
    end: date  # inclusive
    count: int


@dataclass(frozen=True)
class Suggestion:
    """A corrected query: as text, and as HTML with the changed words in ``<mark>``."""

    text: str
    html: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    sort: Sort
    date_interval: DateInterval
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    section_facet: list[SectionCount] = field(default_factory=list)
    date_facet: list[DateBucket] = field(default_factory=list)
    partial: bool = False
    suggestion: Suggestion | None = None  # "did you mean", when few matched
    facet_names: tuple[str, ...] = DEFAULT_FACETS  # the facets asked for
    hit_fields: tuple[str, ...] = HIT_FIELDS  # the hit fields asked for
    author_facet: ValueCounts | None = None
    tag_facet: ValueCounts | None = None
    next_cursor: str | None = None  # the next page's cursor; None on the last page
    total_groups: int | None = None  # collapsed: groups of near-duplicates (total counts articles)

    @property
    def facets(self) -> dict[str, list[SectionCount] | list[DateBucket]]:
        """The facets asked for, by name."""
        every = {
            "section": self.section_facet,
            "date": self.date_facet,
            "author": self.author_facet.values if self.author_facet else [],
            "tag": self.tag_facet.values if self.tag_facet else [],
        }
        return {name: every[name] for name in self.facet_names}

    @property
    def facets_omitted(self) -> dict[str, int]:
        """Per bounded facet asked for, the number of values with matches left out by facet_size."""
        bounded = {"author": self.author_facet, "tag": self.tag_facet}
        return {name: counts.omitted for name, counts in bounded.items() if counts is not None}

    @property
    def pages(self) -> int:
        return -(-(self.total if self.total_groups is None else self.total_groups) // self.per_page)


class SearchError(ValueError):
    """A request the search layer refuses, naming the parameter at fault."""

    def __init__(self, message: str, parameter: str | None = None, code: str = "invalid_parameter") -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.code = code
