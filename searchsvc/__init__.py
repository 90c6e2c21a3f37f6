"""searchsvc: full-text search for news publishers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app factory: settings from the environment, overridden by ``config``."""
    from searchsvc import api, cli, config as settings, observability, widget
    from searchsvc.api import limits

    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.from_mapping(settings.from_env())
    if config:
        app.config.from_mapping(config)
    observability.init_app(app)  # first, so it times requests that later hooks refuse
    limits.init_app(app)
    api.init_app(app)
    widget.init_app(app)
    cli.init_app(app)
    return app
