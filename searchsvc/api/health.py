"""GET /healthz: is an index loaded, which generation and version, and on a replica how far
behind the primary it is, so that a load balancer takes a lagging replica out."""

from __future__ import annotations

from typing import Any

from flask import current_app

from searchsvc import api
from searchsvc.api.blueprint import Blueprint
from searchsvc.api.schemas import HealthSchema
from searchsvc.replication.state import ReplicaState, node_role
from searchsvc.store import NoIndexError

blp = Blueprint("health", __name__, description="Service health")


@blp.route("/healthz")
@blp.response(200, HealthSchema, description="Serving: an index is open (and on a replica, within SEARCHSVC_MAX_LAG of the primary)")
@blp.alt_response(503, schema=HealthSchema, description="No index yet, or a replica lagging more than SEARCHSVC_MAX_LAG seconds")
def healthz() -> Any:
    """Whether an index is loaded, its generation, version and article count; a replica's lag."""
    config = current_app.config
    role = node_role(config["PRIMARY_URL"], config["REPLICATION_KEYS"])
    replica = ReplicaState.load(api.index_store().root) if role == "replica" else None
    node = {"role": role, "lag_seconds": round(replica.lag_seconds(), 3) if replica else None,
            "primary_checked_at": replica.checked_at if replica else None}
    try:
        status = api.search_service().status()
    except NoIndexError:
        return {"status": "no_index", "articles": 0, "generation": None, "version": None, "built_at": None, "sources": [], **node}, 503
    body = {"status": "ok", "articles": status.articles, "generation": status.generation, "version": status.version,
            "built_at": status.built_at, "sources": status.sources, **node}
    if replica is not None and replica.lag_seconds() > config["MAX_LAG"]:
        return {**body, "status": "lagging"}, 503
    return body
