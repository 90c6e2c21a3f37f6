"""GET /healthz: is an index loaded, which generation, how many articles."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from searchsvc import api
from searchsvc.api.schemas import HealthSchema
from searchsvc.store import NoIndexError

blp = Blueprint("health", __name__, description="Service health")


@blp.route("/healthz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="No index has been built yet")
def healthz() -> Any:
    """Whether an index is loaded, its generation and article count."""
    try:
        status = api.search_service().status()
    except NoIndexError:
        return {"status": "no_index", "articles": 0, "generation": None, "built_at": None, "sources": []}, 503
    return {"status": "ok", "articles": status.articles, "generation": status.generation, "built_at": status.built_at, "sources": status.sources}
