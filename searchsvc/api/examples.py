"""An example request and its real response for every operation, in /openapi.json and /docs.

Hand-written examples drift from what the service answers. These are recorded:
``scripts/record-examples`` builds the demo corpus into a scratch index, asks each request
of the app and writes ``examples.json`` beside this module; an apispec plugin puts
each request (as a curl command, ``x-codeSamples``) and its response (as the 2xx response's
``example``) in the OpenAPI document. ``tests/test_docs.py`` records them again and fails
when an answer's shape no longer matches the file, naming the command that refreshes it.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apispec import BasePlugin
from flask.testing import FlaskClient

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
TEXT_CHARS = 1_200  # an XML example is cut here: enough to show its form
PUBLIC_URL = "https://news.example"
KEY_PLACEHOLDER = "$SEARCHSVC_API_KEY"
REPLICATION_KEY_PLACEHOLDER = "$SEARCHSVC_REPLICATION_KEY"


@dataclass(frozen=True)
class ExampleRequest:
    method: str
    path: str  # the OpenAPI path template this example is for
    url: str  # what is asked, query string included
    body: Any = None
    key: str | None = None  # the environment variable of the key the request needs, if any
    recorded: bool = True  # False for a binary answer: shown as a request only

    def curl(self) -> str:
        command = ["curl"]
        if self.method != "GET":
            command += ["-X", self.method]
        command.append(PUBLIC_URL + self.url)
        words = [shlex.quote(word) for word in command]
        if self.key:
            words += ["-H", f'"Authorization: Bearer {self.key}"']
        if self.body is not None:
            words += ["-H", "'Content-Type: application/json'", "--data-binary", shlex.quote(json.dumps(self.body, ensure_ascii=False))]
        return " ".join(words)


_ARTICLE = {
    "id": "hg-example-1", "url": "https://harborgazette.example/news/ferry-timetable", "title": "Winter ferry timetable starts Monday",
    "body": "The harbor ferry runs every 20 minutes from Monday, the port authority said.", "section": "News",
    "published": "2025-11-28T09:00:00Z", "authors": ["Ana Ruiz"], "tags": ["ferry", "harbor"],
}

REQUESTS = (
    ExampleRequest("GET", "/api/search", "/api/search?q=harbor+bridge&section=News&per_page=2&facets=section,author&facet_size=3"),
    ExampleRequest("GET", "/api/timeline", "/api/timeline?q=bridge&interval=month&date_from=2025-01-01&date_to=2025-06-30"),
    ExampleRequest("GET", "/api/articles/{article_id}", "/api/articles/hg-2025-001"),
    ExampleRequest("GET", "/api/articles/{article_id}/related", "/api/articles/hg-2025-001/related"),
    ExampleRequest("GET", "/api/suggest", "/api/suggest?q=har"),
    ExampleRequest("GET", "/api/suggest/opensearch", "/api/suggest/opensearch?q=har"),
    ExampleRequest("GET", "/api/search.atom", "/api/search.atom?q=ferry&per_page=1"),
    ExampleRequest("GET", "/opensearch.xml", "/opensearch.xml"),
    ExampleRequest("GET", "/healthz", "/healthz"),
    ExampleRequest("PUT", "/api/articles/{article_id}", "/api/articles/hg-example-1", body=_ARTICLE, key=KEY_PLACEHOLDER),
    ExampleRequest("POST", "/api/articles", "/api/articles", body=[{**_ARTICLE, "id": "hg-example-2"}, {"title": "No body"}], key=KEY_PLACEHOLDER),
    ExampleRequest("DELETE", "/api/articles/{article_id}", "/api/articles/hg-example-1", key=KEY_PLACEHOLDER),
    ExampleRequest("GET", "/api/removed", "/api/removed?since=2025-12-01T00:00:00Z&per_page=100"),  # after the delete: lists it
    ExampleRequest("GET", "/replication/manifest", "/replication/manifest", key=REPLICATION_KEY_PLACEHOLDER),
    # A file's bytes are binary: the manifest's example names the files there are.
    ExampleRequest("GET", "/replication/files/{snapshot}/{name}", "/replication/files/20251205T143403-086b2051.4/MAIN_32k11see7dl11djv.pst",
                   key=REPLICATION_KEY_PLACEHOLDER, recorded=False),
)


def record(client: FlaskClient, keys: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Ask every example request, in order (writes after reads), of an app over the demo corpus."""
    recorded: dict[str, dict[str, Any]] = {}
    for example in (request for request in REQUESTS if request.recorded):
        headers = {"Authorization": f"Bearer {keys[example.key]}"} if example.key else {}
        response = client.open(example.url, method=example.method, headers=headers, json=example.body)
        body: Any = response.get_json() if response.is_json else _cut(response.get_data(as_text=True))
        recorded[f"{example.method} {example.path}"] = {"status": response.status_code, "content_type": response.mimetype, "body": body}
    return recorded


def load() -> dict[str, dict[str, Any]]:
    return json.loads(EXAMPLES_FILE.read_text("utf-8"))


def shape(value: Any) -> Any:
    """What a response looks like, without its values: keys, and the types under them."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


class Examples(BasePlugin):
    """Puts each operation's example request (a curl command, and its body) and recorded response in the document."""

    def __init__(self) -> None:
        self.requests = {f"{request.method} {request.path}": request for request in REQUESTS}
        self.recorded = load() if EXAMPLES_FILE.exists() else {}

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            name = f"{method.upper()} {path}"
            if name not in self.requests:
                continue
            request = self.requests[name]
            operation["x-codeSamples"] = [{"lang": "Shell", "label": "curl", "source": request.curl()}]
            if request.body is not None:
                operation["requestBody"]["content"]["application/json"]["example"] = request.body
            answer = self.recorded.get(name)
            response = operation.get("responses", {}).get(str(answer["status"])) if answer else None
            if isinstance(response, dict):
                response.setdefault("content", {}).setdefault(answer["content_type"], {})["example"] = answer["body"]


def record_demo(demo_dir: Path, scratch: Path) -> dict[str, dict[str, Any]]:
    """Build the demo corpus into ``scratch`` and record every example against it."""
    # Imported here: the app factory imports this module (through the API package).
    from searchsvc import create_app
    from searchsvc.indexer import reindex
    from searchsvc.store import IndexStore

    index_dir = scratch / "index"
    reindex([demo_dir], IndexStore(index_dir))
    keys = {KEY_PLACEHOLDER: "example-write-key", REPLICATION_KEY_PLACEHOLDER: "example-replication-key"}
    app = create_app({
        "INDEX_DIR": index_dir, "TESTING": True, "PUBLIC_URL": PUBLIC_URL, "RATE_LIMIT_READ": "off", "RATE_LIMIT_WRITE": "off",
        "API_KEYS": (keys[KEY_PLACEHOLDER],), "REPLICATION_KEYS": (keys[REPLICATION_KEY_PLACEHOLDER],),
    })
    return record(app.test_client(), keys)


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"

