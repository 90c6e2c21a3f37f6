"""GET /api/removed: the ids deleted since a moment, and 410 Gone for a deleted article's id.

Partners who copied articles poll the list to take theirs down (the Guardian's content API
has the same); a removed id answers 410 rather than 404, so a client can tell "deleted" from
"never existed". The list itself is the search layer's (searchsvc/removals.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, NoReturn

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from searchsvc import api
from searchsvc.api.blueprint import Blueprint
from searchsvc.api.schemas import DateOrDateTime, ErrorSchema

MAX_PER_PAGE = 1_000
MAX_PAGE = 10_000
GONE_DESCRIPTION = "The article was deleted (code gone; the message says when): take copies down"

blp = Blueprint("removed", __name__, url_prefix="/api", description="Deleted articles, for partners who copied them")


def abort_missing_article(article_id: str) -> NoReturn:
    """410 Gone for a deleted id, 404 for one never seen."""
    removal = api.search_service().removal(article_id)
    if removal is not None:
        abort(410, message=f"article {article_id!r} was removed at {removal.removed_at.isoformat()}", code="gone", parameter="article_id")
    abort(404, message=f"no article with id {article_id!r}", code="not_found", parameter="article_id")


class RemovedArgs(Schema):
    since = DateOrDateTime(
        required=True,
        metadata={"description": "Only ids removed at or after this moment: an ISO 8601 datetime (naive means UTC) or a date (its start, UTC). "
                  "To poll, pass the removed_at of the last entry seen (it comes again: inclusive)."},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE), metadata={"description": "Page number, from 1."})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_PER_PAGE), metadata={"description": "Entries per page."})


class RemovalSchema(Schema):
    id = fields.String(required=True, metadata={"description": "The removed article's id."})
    removed_at = fields.DateTime(required=True, metadata={"description": "When it was deleted (UTC)."})


class RemovedResponse(Schema):
    since = fields.DateTime(required=True, metadata={"description": "The moment asked for (UTC)."})
    total = fields.Integer(required=True, metadata={"description": "How many ids were removed at or after since (and are still removed)."})
    page = fields.Integer(required=True, metadata={"description": "The page returned, from 1."})
    per_page = fields.Integer(required=True, metadata={"description": "Entries per page, as asked."})
    removed = fields.Nested(RemovalSchema, many=True, required=True, metadata={"description": "Oldest removal first (then by id)."})


@blp.route("/removed")
@blp.arguments(RemovedArgs(), location="query", as_kwargs=True)
@blp.response(200, RemovedResponse, description="The ids removed since then, oldest first, with their total")
@blp.alt_response(400, schema=ErrorSchema, description="since is missing or not a date or datetime, or page/per_page out of range")
def removed(since: date | datetime, page: int, per_page: int) -> dict[str, Any]:
    """Ids of deleted articles, since a moment: to take copies down. A re-published id leaves the list."""
    moment = since if isinstance(since, datetime) else datetime.combine(since, time.min, timezone.utc)
    entries, total = api.search_service().removed_since(moment, (page - 1) * per_page, per_page)
    return {"since": moment, "total": total, "page": page, "per_page": per_page, "removed": entries}
