"""The web stack's floor: a bare Flask app answering every search with one fixed results page.

speed.py serves it with the same gunicorn command and config as ours (`gunicorn.conf.py`:
worker class, threads, hooks) and times it with the same client, so the difference
between it and our `/api/search` is our own work: argument parsing, the search, the
response schema, our hooks. No searchsvc code runs here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

SNIPPET = "Lorem ipsum dolor sit amet, <mark>consectetur</mark> adipiscing elit, sed do eiusmod tempor. " * 4


def _page() -> dict[str, Any]:
    """A page shaped and sized like ours for a typical query (~7.5 KB of JSON)."""
    hit = {"title": "A headline of some eight words or so", "title_html": "A headline", "section": "economy",
           "published": "1987-03-02T10:00:00Z", "url": None, "summary": None, "authors": [], "tags": [],
           "score": 12.5, "snippet_html": SNIPPET}
    return {
        "query": "two words", "total": 79, "page": 1, "per_page": 10, "sort": "relevance", "took_ms": 5.0, "partial": False,
        "hits": [dict(hit, id=f"reuters-{n}") for n in range(10)],
        "facets": {"section": [{"value": f"section-{n}", "count": n} for n in range(20)],
                   "date": [{"key": f"1987-{m:02d}", "count": m} for m in range(1, 11)]},
        "suggestion": None,
    }


app = Flask(__name__)
PAGE = _page()


@app.get("/api/search")
def search() -> Any:
    return jsonify(PAGE)


@app.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")
