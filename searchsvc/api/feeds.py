"""A search as an Atom feed, the OpenSearch description and OpenSearch suggestions.

A feed is one more way to dump a SearchResult: the same parameters as GET /api/search, the
same search, written as Atom 1.0 by feedgen (the maintained Atom/RSS writer, on lxml) instead
of JSON. Article text is untrusted: lxml escapes markup and ``]]>``, and the characters XML 1.0
cannot carry at all (most C0 controls, lone surrogates) are removed first.

URLs in these documents start with SEARCHSVC_PUBLIC_URL: behind a proxy the request's Host
header is whatever the client sent. Without it (a single host, development) the request's
own URL is used.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

from feedgen.feed import FeedGenerator
from flask import Response, current_app, g, jsonify, request

from searchsvc import api
from searchsvc.api.blueprint import Blueprint
from searchsvc.api.schemas import ErrorSchema, SearchArgs, SuggestArgs
from searchsvc.api.search import search_request
from searchsvc.search import Sort

ATOM = "application/atom+xml"
OPENSEARCH = "application/opensearchdescription+xml"
SUGGESTIONS = "application/x-suggestions+json"
FEED_MAX_AGE = 60  # seconds feed readers may keep a feed before asking again (with ETag)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

blp = Blueprint("feeds", __name__, description="Atom feeds and the browser's search box (OpenSearch)")


def xml_text(text: str | None) -> str:
    """Text XML 1.0 can carry: characters it forbids are dropped (lxml escapes the rest)."""
    return NOT_XML.sub("", text or "")


def public_url() -> str:
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


@blp.route("/api/search.atom")
@blp.arguments(SearchArgs(), location="query", as_kwargs=True)
@blp.response(200, description="An Atom 1.0 feed of the search's hits, newest first unless sort says otherwise",
              content_type=ATOM)
@blp.alt_response(304, description="Not modified since the ETag or date the reader sent")
@blp.alt_response(400, schema=ErrorSchema, description="A parameter or the query is invalid")
@blp.alt_response(503, schema=ErrorSchema, description="No index has been built yet")
def search_feed(**args: Any) -> Response:
    """The search as an Atom feed, for feed readers: subscribe to a search."""
    service = api.search_service()
    status = service.status()
    etag = f"{status.version}-{hashlib.sha256(request.query_string).hexdigest()[:16]}"  # the same in every worker
    updated = datetime.fromtimestamp(int(status.committed_at), timezone.utc)
    response = Response(mimetype=ATOM)
    response.set_etag(etag)
    response.last_modified = updated
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    response.vary = "Accept-Encoding"
    if _not_modified(response):
        return response.make_conditional(request)
    result = service.search(search_request(args, sort=args["sort"] or Sort.NEWEST, highlight=False))
    g.result_count = result.total
    response.set_data(_atom(args["q"], result, updated))
    return response.make_conditional(request)


def _not_modified(response: Response) -> bool:
    """Whether the reader's copy is current (answered 304 without searching)."""
    if request.if_none_match:
        return request.if_none_match.contains(response.get_etag()[0])
    return bool(request.if_modified_since and response.last_modified and request.if_modified_since >= response.last_modified)


def _atom(query: str, result: Any, updated: datetime) -> bytes:
    base = public_url()
    query_string = request.query_string.decode("latin-1")
    self_url = f"{base}/api/search.atom" + (f"?{query_string}" if query_string else "")
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(xml_text(f"Search: {query}" if query.strip() else "Latest articles"))
    feed.link(href=self_url, rel="self", type=ATOM)
    feed.link(href=f"{base}/" + (f"?{query_string}" if query_string else ""), rel="alternate", type="text/html")
    if result.next_cursor:
        feed.link(href=f"{base}/api/search.atom?{_next_page_query(result.next_cursor)}", rel="next", type=ATOM)
    feed.updated(updated)
    feed.generator("searchsvc")
    for hit in reversed(result.hits):  # feedgen prepends each entry
        article = hit.article
        entry = feed.add_entry()
        entry.id(f"{base}/api/articles/{quote(article.id, safe='')}")
        entry.title(xml_text(article.title))
        entry.link(href=xml_text(article.url) or f"{base}/api/articles/{quote(article.id, safe='')}", rel="alternate")
        published = article.published or updated
        entry.published(published)
        entry.updated(article.updated or published)
        for name in article.authors:
            entry.author(name=xml_text(name))
        for term in (article.section, *article.tags):
            entry.category(term=xml_text(term))
        summary = article.summary or html.unescape(hit.snippet_html or "")
        if summary:
            entry.summary(xml_text(summary), type="text")
    return feed.atom_str(pretty=False)


def _next_page_query(cursor: str) -> str:
    """This feed's parameters with the next page's cursor: a paged feed (RFC 5005) for archives."""
    kept = [(name, value) for name, value in request.args.items(multi=True) if name not in ("after", "page")]
    return urlencode([*kept, ("after", cursor)])


@blp.route("/opensearch.xml")
@blp.response(200, description="The OpenSearch 1.1 description: the browser's search box searches this site",
              content_type=OPENSEARCH)
def opensearch_description() -> Response:
    """OpenSearch 1.1 description: results page, Atom feed and suggestions URL templates."""
    base = public_url()
    namespace = "http://a9.com/-/spec/opensearch/1.1/"
    ElementTree.register_namespace("", namespace)
    root = ElementTree.Element(f"{{{namespace}}}OpenSearchDescription")
    for tag, text in (("ShortName", current_app.config["SITE_NAME"][:16]),
                      ("Description", f"Search {current_app.config['SITE_NAME']}"),
                      ("InputEncoding", "UTF-8"), ("OutputEncoding", "UTF-8")):
        ElementTree.SubElement(root, f"{{{namespace}}}{tag}").text = text
    for kind, template in (("text/html", "/?q={searchTerms}"), (ATOM, "/api/search.atom?q={searchTerms}"),
                           (SUGGESTIONS, "/api/suggest/opensearch?q={searchTerms}")):
        ElementTree.SubElement(root, f"{{{namespace}}}Url", {"type": kind, "method": "get", "template": base + template})
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype=OPENSEARCH, headers={"Cache-Control": "public, max-age=3600"})


@blp.route("/api/suggest/opensearch")
@blp.arguments(SuggestArgs(), location="query", as_kwargs=True)
@blp.response(200, description='Completions in the OpenSearch suggestions format: ["query", ["completion", …]]',
              content_type=SUGGESTIONS)
@blp.alt_response(503, schema=ErrorSchema, description="No index has been built yet")
def opensearch_suggestions(q: str) -> Response:
    """Completions of what was typed, for the browser's address bar."""
    response = jsonify([q, api.search_service().suggest(q)])
    response.mimetype = SUGGESTIONS
    return response
