"""GET /api/suggest (completions while typing) and GET /api/articles/<id>/related."""

from __future__ import annotations

from typing import Any


from searchsvc import api
from searchsvc.api.blueprint import Blueprint
from searchsvc.api.removed import GONE_DESCRIPTION, abort_missing_article
from searchsvc.api.schemas import ARTICLE_ID, ErrorSchema, RelatedResponse, SuggestArgs, SuggestResponse

blp = Blueprint("discovery", __name__, url_prefix="/api", description="Suggestions and related articles")


@blp.route("/suggest")
# A schema instance, not the class: webargs would otherwise build one per request.
@blp.arguments(SuggestArgs(), location="query", as_kwargs=True)
@blp.response(200, SuggestResponse, description="Up to 10 completions of the last word typed")
@blp.alt_response(503, schema=ErrorSchema, description="No index has been built yet")
def suggest(q: str) -> dict[str, Any]:
    """Completions of the word being typed, from the index's own words, most used first."""
    return {"query": q, "suggestions": [{"text": text} for text in api.search_service().suggest(q)]}


@blp.route("/articles/<string:article_id>/related", parameters=[ARTICLE_ID])
@blp.response(200, RelatedResponse, description="The articles most like this one")
@blp.alt_response(404, schema=ErrorSchema, description="No article has this id")
@blp.alt_response(410, schema=ErrorSchema, description=GONE_DESCRIPTION)
@blp.alt_response(503, schema=ErrorSchema, description="No index has been built yet")
def related(article_id: str) -> dict[str, Any]:
    """Up to 5 articles like this one (more-like-this on title and body; newer first among near ties)."""
    found = api.search_service().related(article_id)
    if found is None:
        abort_missing_article(article_id)
    return {"hits": found}
