"""The embeddable widget's assets: GET /widget.js (the <news-search> element) and the demo page."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_from_directory

ASSETS = Path(__file__).resolve().parent


def init_app(app: Flask) -> None:
    @app.get("/widget.js")
    def widget_js() -> Response:
        response = send_from_directory(ASSETS, "widget.js", mimetype="text/javascript", max_age=300)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.get("/")
    def demo_page() -> Response:
        return send_from_directory(ASSETS, "demo.html", mimetype="text/html", max_age=60)
