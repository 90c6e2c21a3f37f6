"""PUT/POST/DELETE /api/articles: live updates of the index, with a write key."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from flask_smorest import abort

from searchsvc import api
from searchsvc.api.blueprint import Blueprint
from searchsvc.api.auth import require_write_key
from searchsvc.api.removed import abort_missing_article
from searchsvc.api.schemas import ARTICLE_ID, BulkResultSchema, ErrorSchema, WriteResultSchema
from searchsvc.articles import Article, ArticleSchema
from searchsvc.sources.base import Problem, validate_record
from searchsvc.store import Change, NoIndexError, StoreBusyError

MAX_BULK_ARTICLES = 1_000
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines")

blp = Blueprint("writes", __name__, url_prefix="/api", description="Add, replace and delete articles (needs a key)")
_SECURED = {"security": [{"bearerAuth": []}]}
_WRITE_ERRORS = {
    400: "The article is invalid",
    401: "Missing or wrong key",
    403: "Writes are disabled (no key configured), or this node is a read-only replica (code read_only_replica)",
    503: "The index writer is busy or there is no index yet; retry after Retry-After seconds",
}


@blp.before_request
def _refuse_on_replica() -> None:
    """A replica's index is the primary's copy: a write here would be lost at the next sync."""
    primary = current_app.config["PRIMARY_URL"]
    if primary:
        abort(403, message=f"This node is a read-only replica: send writes to the primary, {primary}", code="read_only_replica")


def _document_errors(view: Any, without: tuple[int, ...] = ()) -> Any:
    for status, description in _WRITE_ERRORS.items():
        if status not in without:
            view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
    return view


def _document_errors_but_invalid(view: Any) -> Any:
    """A delete has no article to be invalid: the same errors but 400."""
    return _document_errors(view, without=(400,))


def _write(changes: list[Change]) -> None:
    try:
        api.index_store().write(changes, timeout=current_app.config["WRITE_TIMEOUT"])
    except StoreBusyError as error:
        abort(503, message=str(error), code="writer_busy", headers={"Retry-After": "1"})
    except NoIndexError as error:
        abort(503, message=str(error), code="index_unavailable")


@blp.route("/articles/<string:article_id>", methods=["PUT"], parameters=[ARTICLE_ID])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ArticleSchema}}}, **_SECURED)
@blp.response(200, WriteResultSchema, description="Indexed: searchable from the next request, on every worker")
@_document_errors
@require_write_key
def put_article(article_id: str) -> dict[str, Any]:
    """Add or replace one article; visible to searches in every worker within a second."""
    raw = request.get_json(silent=True)
    if not isinstance(raw, dict):
        abort(400, message="The body must be a JSON object (an article).", code="invalid_body")
    if raw.get("id") not in (None, article_id):
        abort(400, message="The body's id differs from the id in the path.", code="invalid_article", parameter="id")
    article = validate_record({**raw, "id": article_id}, "request", "body")
    if isinstance(article, Problem):
        abort(400, message=f"{article.field}: {article.reason}" if article.field else article.reason,
              code="invalid_article", parameter=article.field)
    _write([("upsert", article)])
    return {"id": article.id, "result": "indexed"}


@blp.route("/articles/<string:article_id>", methods=["DELETE"], parameters=[ARTICLE_ID])
@blp.doc(**_SECURED)
@blp.response(200, WriteResultSchema, description="Deleted: gone from the next request, on every worker")
@blp.alt_response(404, schema=ErrorSchema, description="No article has this id")
@blp.alt_response(410, schema=ErrorSchema, description="Already deleted (code gone; the message says when)")
@_document_errors_but_invalid
@require_write_key
def delete_article(article_id: str) -> dict[str, Any]:
    """Delete one article; its id then answers 410 Gone and is listed by GET /api/removed."""
    if api.search_service().article(article_id) is None:
        abort_missing_article(article_id)
    _write([("delete", article_id)])
    return {"id": article_id, "result": "deleted"}


@blp.route("/articles", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "description": f"A JSON array of up to {MAX_BULK_ARTICLES} articles, or JSON Lines (Content-Type application/x-ndjson).",
        "content": {
            "application/json": {"schema": {"type": "array", "items": ArticleSchema, "maxItems": MAX_BULK_ARTICLES}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    },
    **_SECURED,
)
@blp.response(200, BulkResultSchema, description="The valid articles are indexed; each invalid one is reported by its position and skipped")
@_document_errors
@require_write_key
def bulk_upsert(**_: Any) -> dict[str, Any]:
    """Add or replace up to 1,000 articles; invalid items are reported, valid ones indexed."""
    records = _bulk_records()
    articles: dict[str, Article] = {}
    errors: list[dict[str, Any]] = []
    for position, raw in enumerate(records, start=1):
        record = raw if isinstance(raw, Problem) else validate_record(raw, "request", f"item {position}")
        if isinstance(record, Problem):
            errors.append({"item": position, "field": record.field, "message": record.reason})
        else:
            articles[record.id] = record
    if errors and not articles:
        abort(400, message="No valid article in the request.", code="invalid_article", errors=errors)
    if not articles:
        return {"indexed": 0, "failed": 0, "errors": []}  # an empty batch is a no-op, not an error
    _write([("upsert", article) for article in articles.values()])
    return {"indexed": len(articles), "failed": len(errors), "errors": errors}


def _bulk_records() -> list[Any]:
    """The request's raw records; with JSON Lines a line that is not JSON becomes a Problem."""
    body = request.get_data(cache=False)
    try:
        if request.mimetype in JSON_LINES_TYPES:
            lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
            records: Any = [_json_line(line) for line in lines]
        else:
            records = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        abort(400, message=f"The body is not valid JSON: {error}", code="invalid_body")
    if not isinstance(records, list):
        abort(400, message="The body must be a JSON array of articles (or JSON Lines).", code="invalid_body")
    if len(records) > MAX_BULK_ARTICLES:
        abort(413, message=f"At most {MAX_BULK_ARTICLES} articles per request ({len(records)} sent).", code="too_many_articles")
    return records


def _json_line(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        return Problem("request", "", None, f"invalid JSON: {error}")
