"""Request and response schemas of the public API: the contract OpenAPI describes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from marshmallow import Schema, fields, post_dump, pre_dump, validate
from webargs.fields import DelimitedList

from searchsvc.articles import parse_datetime
from searchsvc.search import (
    DEFAULT_FACET_SIZE, DEFAULT_FACETS, FACET_NAMES, HIT_FIELDS, MAX_FACET_SIZE, DateField, DateInterval, Sort, TimelineInterval,
)
from searchsvc.search.cursors import MAX_CURSOR_CHARS
from searchsvc.search.duplicates import MAX_SIMILAR_IDS
from searchsvc.search.highlight import MAX_SNIPPET_CHARS, MIN_SNIPPET_CHARS, SNIPPET_CHARS
from searchsvc.search.query import MAX_QUERY_CHARS

MAX_PER_PAGE = 100
ARTICLE_ID = {"in": "path", "name": "article_id", "description": "The article's id: as its source gave it, else derived from its URL (no whitespace, '/', '?' or '#'; up to 200 characters)."}


class DateOrDateTime(fields.String):
    """``YYYY-MM-DD`` (a whole day) or an ISO 8601 datetime (naive means UTC).

    A String subclass so OpenAPI documents it as a string, which it is on the wire.
    """

    default_error_messages = {"invalid": "Not a valid date (YYYY-MM-DD) or ISO 8601 datetime."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"anyOf": [{"format": "date"}, {"format": "date-time"}], "example": "2025-04-17", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date | datetime:
        text = str(value).strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            if "T" not in text and " " not in text:
                raise ValueError(text)
            return parse_datetime(text)
        except ValueError as error:
            raise self.make_error("invalid") from error


class Freshness(fields.Field):
    """``on``, ``off`` or a half-life in days (a number): the recency boost of a relevance sort."""

    default_error_messages = {"invalid": "Not on, off, or a number of days from 0.1 to 3650."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": r"^(on|off|[0-9]+(\.[0-9]+)?)$", "example": "30", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool | float:
        text = str(value).strip().lower()
        if text in ("on", "off"):
            return text == "on"
        try:
            days = float(text)
        except ValueError as error:
            raise self.make_error("invalid") from error
        if not 0.1 <= days <= 3650:
            raise self.make_error("invalid")
        return days


def _values_filter(description: str) -> fields.List:
    """A repeatable filter parameter: up to 50 values of 1-200 characters."""
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": description},
    )


class SearchArgs(Schema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_QUERY_CHARS),
        metadata={"description": 'Query: words (all required), "phrases", AND/OR/NOT, -word, title:word, prefix*. Empty or * browses everything.'},
    )
    section = _values_filter("Only these sections (repeat the parameter for several; they are OR-ed; case-insensitive).")
    date_from = DateOrDateTime(load_default=None, metadata={"description": "Inclusive lower bound: a date or an ISO datetime."})
    date_to = DateOrDateTime(load_default=None, metadata={"description": "Inclusive upper bound: a date (the whole day) or an ISO datetime."})
    sort = fields.Enum(Sort, by_value=True, load_default=None, metadata={"description": "Default: relevance with a query, newest without."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000), metadata={"description": "Page number, from 1."})
    per_page = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_PER_PAGE), metadata={"description": "Hits per page."})
    date_interval = fields.Enum(
        DateInterval, by_value=True, load_default=None,
        metadata={"description": "Bucket size of the date facet; default chosen so there are at most about 24 buckets."},
    )
    freshness = Freshness(
        load_default=None,
        metadata={"description": "Recency boost of a relevance sort: on (the configured half-life), off, or a half-life in days. Default: configured (off unless set)."},
    )
    author = _values_filter("Only articles by one of these authors (repeat the parameter for several; OR-ed; case-insensitive; AND-ed with the other filters).")
    tag = _values_filter("Only articles with one of these tags (repeat the parameter for several; OR-ed; case-insensitive; AND-ed with the other filters).")
    facets = DelimitedList(
        fields.String(validate=validate.OneOf(FACET_NAMES)),
        load_default=lambda: list(DEFAULT_FACETS),
        validate=validate.Length(max=len(FACET_NAMES)),
        metadata={"description": f"Comma-separated facets to compute, of {', '.join(FACET_NAMES)}. Default: {','.join(DEFAULT_FACETS)}; empty: none."},
    )
    prefix = fields.String(
        load_default=None,
        validate=validate.OneOf(["last"]),
        metadata={"description": "last: search as you type, the last word of q (2 characters or more) is a prefix (harbor brid finds harbor bridge), expanded within the same limits as prefix*; a one-letter last word is searched as written. Absent: every word exact."},
    )
    fields_ = DelimitedList(
        fields.String(validate=validate.OneOf(HIT_FIELDS)),
        data_key="fields",
        load_default=lambda: list(HIT_FIELDS),
        validate=validate.Length(min=1, max=len(HIT_FIELDS)),
        metadata={"description": f"Comma-separated hit fields to return, of {', '.join(HIT_FIELDS)}; default all. Work for the others is skipped (no snippet is made unless snippet_html is asked for)."},
    )
    snippet_length = fields.Integer(
        load_default=None,
        validate=validate.Range(min=MIN_SNIPPET_CHARS, max=MAX_SNIPPET_CHARS),
        metadata={"description": f"About how many characters of body text snippet_html holds (default {SNIPPET_CHARS})."},
    )
    highlight = fields.Boolean(
        load_default=True,
        metadata={"description": "false: title_html and snippet_html carry no <mark> (still HTML-escaped)."},
    )
    date_field = fields.Enum(
        DateField, by_value=True, load_default=DateField.PUBLISHED,
        metadata={"description": "The date that date_from/date_to, the newest/oldest sorts and the date facet read: published (default) or updated (an article's last revision; its published date when it has none)."},
    )
    after = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_CURSOR_CHARS),
        metadata={"description": "A cursor: the next_cursor of the previous page, with the same q, filters, sort, date_field, prefix and freshness "
                  "(per_page, fields and facets may change; page must be absent). Pages past the 10,000-hit window of page numbers. "
                  "Date sorts resume after the last hit's (date, id): every article matching for the whole walk is returned exactly once, "
                  "even while the index changes. Relevance holds only within one index version: after a write, 400 stale_cursor. "
                  "A cursor of another search, altered or truncated: 400 invalid_cursor."},
    )
    facet_size = fields.Integer(
        load_default=DEFAULT_FACET_SIZE,
        validate=validate.Range(min=1, max=MAX_FACET_SIZE),
        metadata={"description": "Most values shown per author and tag facet (selected values are always shown); facets_omitted counts the rest."},
    )
    collapse = fields.String(
        load_default=None,
        validate=validate.OneOf(["duplicates"]),
        metadata={"description": "duplicates: one hit per group of near-duplicate matching articles (wire copies, rewrites, corrections; "
                  "word 3-shingles with an estimated Jaccard similarity of 0.5 or more), represented by its newest article; each hit "
                  "then carries similar_count and similar_ids, total_groups counts the groups and pages page over groups. total and the "
                  "facet counts still count articles. The groups are the whole index's, kept to the matches (two matches rewritten through an "
                  "article the search did not match are one story); partial is true while a new index version is still being grouped. "
                  "Absent: every matching article is a hit."},
    )


class ArticleSummary(Schema):
    """An article without its body, as hits and related lists carry it."""

    id = fields.String(required=True)
    url = fields.String(allow_none=True)
    title = fields.String(required=True)
    summary = fields.String(allow_none=True)
    section = fields.String(required=True)
    published = fields.DateTime(allow_none=True, format="iso")
    updated = fields.DateTime(allow_none=True, format="iso", metadata={"description": "Last revised; the same as published when the article gives none."})
    authors = fields.List(fields.String())
    tags = fields.List(fields.String())


class ArticleFull(ArticleSummary):
    body = fields.String(required=True)


class HitSchema(ArticleSummary):
    """A hit: the article's fields (no body) beside its score and highlighted HTML; only the
    fields asked for with fields= (default all)."""

    id = fields.String()
    title = fields.String()
    section = fields.String()
    score = fields.Float(metadata={"description": "Relevance score (0 when browsing without a query)."})
    title_html = fields.String(metadata={"description": "The title, HTML-escaped, query words in <mark>."})
    snippet_html = fields.String(metadata={"description": "Up to three body fragments with the query words, HTML-escaped, words in <mark>."})
    similar_count = fields.Integer(metadata={"description": "With collapse=duplicates: how many other matching articles are near-duplicates of this one (its group, less itself)."})
    similar_ids = fields.List(fields.String(), metadata={"description": f"With collapse=duplicates: their ids (at most {MAX_SIMILAR_IDS})."})

    @pre_dump
    def flatten(self, hit: Any, **kwargs: Any) -> dict[str, Any]:
        similar = {"similar_count": hit.similar_count, "similar_ids": list(hit.similar_ids)} if hit.similar_ids is not None else {}
        return {**hit.article.to_dict(), "score": hit.score, "title_html": hit.title_html, "snippet_html": hit.snippet_html, **similar}


class SectionCountSchema(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)
    selected = fields.Boolean(required=True)


class DateBucketSchema(Schema):
    key = fields.String(required=True, metadata={"description": "2025, 2025-04 or 2025-04-17"})
    from_ = fields.Date(attribute="start", data_key="from", required=True)
    to = fields.Date(attribute="end", required=True, metadata={"description": "Inclusive last day of the bucket."})
    count = fields.Integer(required=True)


class TimelineArgs(SearchArgs):
    """The search's query and filters, and the period of the timeline's buckets."""

    interval = fields.Enum(TimelineInterval, by_value=True, load_default=TimelineInterval.MONTH,
                           metadata={"description": "Bucket size: day, week (ISO, Monday to Sunday), month (default) or year."})


TIMELINE_PARAMETERS = ("q", "section", "author", "tag", "date_from", "date_to", "date_field", "prefix", "interval")


class TimelineBucketSchema(DateBucketSchema):
    key = fields.String(required=True, metadata={"description": "2025, 2025-04, 2025-W16 (ISO week) or 2025-04-17"})
    count = fields.Integer(required=True, metadata={"description": "Matching articles in the period."})
    total = fields.Integer(required=True, metadata={"description": "All articles in the period under the same filters, matching or not."})
    share = fields.Float(required=True, metadata={"description": "count / total (0 for a period without articles)."})


class TimelineResponse(Schema):
    query = fields.String(required=True)
    interval = fields.Enum(TimelineInterval, by_value=True, required=True)
    partial = fields.Boolean(required=True, metadata={"description": "True when the time budget ran out: counts may be low."})
    buckets = fields.Nested(TimelineBucketSchema, many=True, required=True,
                            metadata={"description": "Every period from date_from (else the first dated article) to date_to (else the last), empty ones included."})


class FacetsSchema(Schema):
    section = fields.Nested(SectionCountSchema, many=True, metadata={"description": "Counts ignore the section filter (multi-select)."})
    date = fields.Nested(DateBucketSchema, many=True, metadata={"description": "Counts ignore date_from/date_to; non-empty buckets in date order."})
    author = fields.Nested(
        SectionCountSchema, many=True,
        metadata={"description": "When asked for (facets=author): the facet_size most frequent authors, then any selected; counts ignore the author filter. An article counts once per author."},
    )
    tag = fields.Nested(
        SectionCountSchema, many=True,
        metadata={"description": "When asked for (facets=tag): the facet_size most frequent tags, then any selected; counts ignore the tag filter."},
    )


SIMILAR_FIELDS = ("similar_count", "similar_ids")  # a collapsed hit's, whatever fields= asks


class SearchResponse(Schema):
    query = fields.String(required=True)
    total = fields.Integer(required=True, metadata={"description": "Matching articles (also with collapse=duplicates)."})
    total_groups = fields.Integer(metadata={"description": "With collapse=duplicates: the groups of near-duplicates among them, one hit each; pages counts these."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    took_ms = fields.Float(required=True)
    sort = fields.Enum(Sort, by_value=True, required=True)
    date_interval = fields.Enum(DateInterval, by_value=True, required=True)
    partial = fields.Boolean(required=True, metadata={"description": "True when the time budget ran out and counts cover only part of the matches."})
    hits = fields.Nested(HitSchema, many=True, required=True)
    facets = fields.Nested(FacetsSchema, required=True, metadata={"description": "The facets asked for (default section and date), by name."})
    facets_omitted = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True,
        metadata={"description": "Per author/tag facet asked for: how many other values had matches but were left out by facet_size."},
    )
    next_cursor = fields.String(
        required=True, allow_none=True,
        metadata={"description": "Pass as after= for the next page (opaque, signed); null on the last page."},
    )
    suggestion = fields.Nested(
        "SuggestionSchema", allow_none=True,
        metadata={"description": "Did you mean: a corrected query that finds more, when fewer than 3 matched; else null."},
    )

    @post_dump(pass_original=True)
    def only_fields_asked(self, data: dict[str, Any], result: Any, **kwargs: Any) -> dict[str, Any]:
        asked = result.hit_fields
        if len(asked) < len(HIT_FIELDS):
            data["hits"] = [{name: hit[name] for name in (*asked, *SIMILAR_FIELDS) if name in hit} for hit in data["hits"]]
        if data.get("total_groups") is None:
            data.pop("total_groups", None)
        return data


class SuggestionSchema(Schema):
    text = fields.String(required=True, metadata={"description": "The corrected query."})
    html = fields.String(required=True, metadata={"description": "The corrected query, HTML-escaped, changed words in <mark>."})


class SuggestArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200), metadata={"description": "What the reader has typed so far."})


class CompletionSchema(Schema):
    text = fields.String(required=True)


class SuggestResponse(Schema):
    query = fields.String(required=True)
    suggestions = fields.Nested(CompletionSchema, many=True, required=True, metadata={"description": "Up to 10, most used words first."})


class RelatedResponse(Schema):
    hits = fields.Nested(ArticleSummary, many=True, required=True, metadata={"description": "Up to 5 articles, most alike first."})


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok; no_index before the first reindex (or replication); lagging on a replica too far behind"})
    articles = fields.Integer(required=True)
    generation = fields.String(allow_none=True)
    version = fields.String(allow_none=True, metadata={"description": "The version served: generation.commit (replicas install the primary's versions)."})
    built_at = fields.String(allow_none=True)
    sources = fields.List(fields.String())
    role = fields.String(required=True, metadata={"description": "standalone, primary (serves replicas) or replica"})
    lag_seconds = fields.Float(allow_none=True, metadata={"description": "On a replica: since when the primary has a version not installed here (0: in step)."})
    primary_checked_at = fields.Float(allow_none=True, metadata={"description": "On a replica: when the primary last answered its follower (seconds since the epoch)."})


class ItemErrorSchema(Schema):
    item = fields.Integer(required=True, metadata={"description": "Position in the request, from 1."})
    field = fields.String(allow_none=True)
    message = fields.String(required=True)


class WriteResultSchema(Schema):
    id = fields.String(required=True)
    result = fields.String(required=True, metadata={"description": "indexed or deleted"})


class BulkResultSchema(Schema):
    indexed = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    errors = fields.Nested(ItemErrorSchema, many=True, required=True)


class ErrorSchema(Schema):
    """The one envelope of every error response."""

    status = fields.Integer(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    parameter = fields.String(allow_none=True)
    errors = fields.Nested(ItemErrorSchema, many=True, metadata={"description": "Per-item problems of a bulk request."})
