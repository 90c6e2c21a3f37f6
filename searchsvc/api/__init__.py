"""The HTTP API: flask-smorest blueprints over the search layer, and nothing more.

Parameters are parsed once (marshmallow via webargs), turned into a SearchRequest,
answered by the search layer and dumped once by the response schema.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_cors import CORS
from flask_smorest import Api

from searchsvc.api import discovery, docs, error_docs, errors, examples, feeds, health, parameter_docs, removed, replication, search, writes
from searchsvc.api.auth import SECURITY_SCHEME
from searchsvc.api.schemas import ErrorSchema
from searchsvc.search import SearchService, SearchSettings
from searchsvc.search.freshness import FreshnessSettings
from searchsvc.search.ranking import RankingSettings
from searchsvc.store import IndexStore

EXTENSION = "searchsvc.search"
STORE_EXTENSION = "searchsvc.store"
# Read endpoints other sites may call from the browser; writes never get CORS headers.
READ_ROUTES = r"^/(api/search(\.atom)?|api/timeline|api/removed|api/suggest(/opensearch)?|api/articles/[^/]+(/related)?|opensearch\.xml|widget\.js)$"


class SearchApi(Api):
    """flask-smorest's Api with our error envelope instead of its default payload."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all "default" response: the document lists the statuses each route can answer.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error):  # type: ignore[no-untyped-def]
        return errors.http_error(error)


def search_service() -> SearchService:
    """The process's search service (opened lazily, so after gunicorn forks)."""
    return current_app.extensions[EXTENSION]


def index_store() -> IndexStore:
    return current_app.extensions[STORE_EXTENSION]


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "searchsvc")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    store = app.extensions[STORE_EXTENSION] = IndexStore(app.config["INDEX_DIR"])
    app.extensions[EXTENSION] = SearchService(
        store,
        SearchSettings(
            title_boost=app.config["TITLE_BOOST"],
            max_expansions=app.config["MAX_EXPANSIONS"],
            time_budget_s=app.config["TIME_BUDGET"],
            ranking=RankingSettings(
                k1=app.config["BM25_K1"], b=app.config["BM25_B"],
                feedback_docs=app.config["FEEDBACK_DOCS"], feedback_terms=app.config["FEEDBACK_TERMS"],
            ),
            freshness=FreshnessSettings(
                default_on=app.config["FRESHNESS"],
                half_life_days=app.config["FRESHNESS_HALF_LIFE"],
                flat_days=app.config["FRESHNESS_FLAT"],
            ),
            synonyms_file=app.config["SYNONYMS"],
            cursor_key=app.config.get("CURSOR_KEY"),
        ),
    )
    api = SearchApi(app, spec_kwargs={"extra_plugins": [error_docs.CommonErrors(), parameter_docs.QueryParameters(), examples.Examples()]})
    docs.init_app(app, api)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for blueprint in (search.blp, discovery.blp, feeds.blp, writes.blp, health.blp, replication.blp, removed.blp):
        api.register_blueprint(blueprint)
    replication.init_app(app)
    errors.init_app(app)
    # after_request functions run last-registered first: this one must see flask-cors' headers.
    app.after_request(_no_cors_on_writes)
    CORS(app, resources={READ_ROUTES: {"origins": app.config["CORS_ORIGINS"], "methods": ["GET", "HEAD", "OPTIONS"]}})


def _no_cors_on_writes(response: Response) -> Response:
    """Write endpoints share paths with reads; never let a browser on another site use them."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for header in [h for h in response.headers.keys() if h.lower().startswith("access-control-")]:
            del response.headers[header]
    return response
