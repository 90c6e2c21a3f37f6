"""Host pages for the widget's browser tests: a second origin that embeds the widget."""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def host_page(api_url: str, attributes: str = "") -> str:
    """A publisher's page embedding the widget exactly as the docs say, from the API's origin."""
    api = html.escape(api_url, quote=True)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title>
<script src="{api}/widget.js" defer></script>
</head><body>
<h1>A publisher's page</h1>
<news-search endpoint="{api}" {attributes}></news-search>
</body></html>"""


class HostPages:
    """Serves in-memory HTML pages from their own 127.0.0.1 port, so the widget runs cross-origin."""

    def __init__(self) -> None:
        pages: dict[str, str] = {}
        self._pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                page = pages.get(urlsplit(self.path).path)
                body = (page or "not found").encode("utf-8")
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: pytest shows failures, not every request."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, page: str) -> str:
        """Publish ``page`` at ``path``; returns its full URL."""
        self._pages[path] = page
        return self.url + path

    def __enter__(self) -> "HostPages":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
