"""GET /api/search and GET /api/articles/<id>."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import g

from searchsvc import api
from searchsvc.api.blueprint import Blueprint
from searchsvc.api.removed import GONE_DESCRIPTION, abort_missing_article
from searchsvc.api.schemas import ARTICLE_ID, TIMELINE_PARAMETERS, ArticleFull, ErrorSchema, SearchArgs, SearchResponse, TimelineArgs, TimelineResponse
from searchsvc.search import SearchRequest, SearchResult, Timeline

blp = Blueprint("search", __name__, url_prefix="/api", description="Search news articles")


@blp.route("/search")
# A schema instance, not the class: webargs would otherwise build one per request.
@blp.arguments(SearchArgs(), location="query", as_kwargs=True)
@blp.response(200, SearchResponse, description="A page of hits, the total, the facets asked for and a did-you-mean suggestion")
@blp.alt_response(400, schema=ErrorSchema, description="A parameter or the query is invalid")
@blp.alt_response(503, schema=ErrorSchema, description="No index has been built yet")
def search(**args: Any) -> SearchResult:
    """Full-text search with section, date, author and tag filters and facets, and highlighted snippets."""
    result = api.search_service().search(search_request(args))
    g.result_count = result.total  # for the access log and the zero-result metric
    return result


def search_request(args: dict[str, Any], **overrides: Any) -> SearchRequest:
    """The SearchRequest of parsed search parameters (also the Atom feed's, in feeds.py)."""
    request = SearchRequest(
        q=args["q"],
        sections=tuple(args["section"]),
        date_from=args["date_from"],
        date_to=args["date_to"],
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
        date_interval=args["date_interval"],
        freshness=args["freshness"],
        authors=tuple(args["author"]),
        tags=tuple(args["tag"]),
        facets=tuple(args["facets"]),
        facet_size=args["facet_size"],
        prefix_last=args["prefix"] == "last",
        date_field=args["date_field"],
        fields=tuple(dict.fromkeys(args["fields_"])),
        snippet_length=args["snippet_length"],
        highlight=args["highlight"],
        after=args["after"],
        collapse_duplicates=args["collapse"] == "duplicates",
    )
    return replace(request, **overrides) if overrides else request


@blp.route("/timeline")
@blp.arguments(TimelineArgs(only=TIMELINE_PARAMETERS), location="query", as_kwargs=True)
@blp.response(200, TimelineResponse, description="Every period of the range with its matching and total counts")
@blp.alt_response(400, schema=ErrorSchema, description="A parameter or the query is invalid, or too many buckets")
@blp.alt_response(503, schema=ErrorSchema, description="No index has been built yet")
def timeline(**args: Any) -> Timeline:
    """Coverage over time: per day, week, month or year, the matching articles, all articles and the share."""
    request = SearchRequest(
        q=args["q"], sections=tuple(args["section"]), authors=tuple(args["author"]), tags=tuple(args["tag"]),
        date_from=args["date_from"], date_to=args["date_to"], date_field=args["date_field"], prefix_last=args["prefix"] == "last",
    )
    return api.search_service().timeline(request, args["interval"])


@blp.route("/articles/<string:article_id>", parameters=[ARTICLE_ID])
@blp.response(200, ArticleFull, description="The article")
@blp.alt_response(404, schema=ErrorSchema, description="No article has this id")
@blp.alt_response(410, schema=ErrorSchema, description=GONE_DESCRIPTION)
def article(article_id: str) -> Any:
    """One article, body included."""
    found = api.search_service().article(article_id)
    if found is None:
        abort_missing_article(article_id)
    return found
