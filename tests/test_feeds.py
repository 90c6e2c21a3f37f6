"""GET /api/search.atom, /opensearch.xml and /api/suggest/opensearch on a real gunicorn."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from xml.etree import ElementTree

import feedparser
import pytest

from tests.support import DEMO_DIR, Server, build_index, get_json, send

KEY = "feed-key-0b7d"
PUBLIC = "https://news.example.org/search"
HOSTILE = {
    "id": "hostile-1",
    "title": "Harbor <script>alert(1)</script> ]]> \u202eevil\u202c \x07bell",
    "body": "The walrus ]]> said <b>hello</b> & goodbye \x00\x1b[31m red \ud800 alone.",
    "summary": "A walrus summary with </summary> and \x0b a vertical tab",
    "section": "News <i>", "authors": ["Ann <Author> \x01"], "tags": ["a&b", "]]>"],
    "url": "https://harborgazette.example/x?a=1&b=<2>",
    "published": "2026-11-30T08:00:00Z",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    folder = tmp_path_factory.mktemp("feeds")
    build_index([DEMO_DIR], folder / "index")
    with Server(folder / "index", workers=2, env={"SEARCHSVC_API_KEYS": KEY, "SEARCHSVC_PUBLIC_URL": PUBLIC,
                                                   "SEARCHSVC_SITE_NAME": "Harbor Gazette"}) as running:
        yield running


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_search_as_an_atom_feed_is_valid_and_newest_first(server: Server) -> None:
    status, headers, body = fetch(f"{server.url}/api/search.atom?q=harbor&section=News")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    expected = get_json(f"{server.url}/api/search?q=harbor&section=News&sort=newest")[1]
    assert [entry.id for entry in feed.entries] == [f"{PUBLIC}/api/articles/{hit['id']}" for hit in expected["hits"]]
    assert [entry.link for entry in feed.entries] == [hit["url"] or entry.id for hit, entry in zip(expected["hits"], feed.entries)]
    assert feed.feed.title == "Search: harbor"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"{PUBLIC}/api/search.atom?q=harbor&section=News" and links["alternate"] == f"{PUBLIC}/?q=harbor&section=News"
    entry, hit = feed.entries[0], expected["hits"][0]
    assert entry.id == f"{PUBLIC}/api/articles/{hit['id']}" and entry.title == hit["title"]
    assert {tag.term for tag in entry.tags} >= {hit["section"], *hit["tags"]}
    assert [author.name for author in entry.authors] == hit["authors"] and entry.published and entry.updated


def test_an_archive_feed_pages_by_next_links_to_every_hit_once(server: Server) -> None:
    """RFC 5005 paged feed: each page links the next by cursor; the last page links none."""
    expected = get_json(f"{server.url}/api/search?q=harbor&sort=newest&per_page=100")[1]
    assert expected["total"] > 4
    url, seen, pages = f"{server.url}/api/search.atom?q=harbor&per_page=2", [], 0
    while url:
        status, _, body = fetch(url)
        assert status == 200
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.bozo_exception
        seen += [entry.id for entry in feed.entries]
        pages += 1
        next_url = {link.rel: link.href for link in feed.feed.links}.get("next")
        assert next_url is None or next_url.startswith(f"{PUBLIC}/api/search.atom?q=harbor&per_page=2&after=")
        url = next_url and next_url.replace(PUBLIC, server.url)
    assert pages == -(-expected["total"] // 2)
    assert seen == [f"{PUBLIC}/api/articles/{hit['id']}" for hit in expected["hits"]]


def test_hostile_article_text_stays_text_in_the_feed(server: Server) -> None:
    assert send("PUT", f"{server.url}/api/articles/hostile-1", HOSTILE, KEY)[0] == 200
    status, _, body = fetch(f"{server.url}/api/search.atom?q=walrus")
    assert status == 200
    ElementTree.fromstring(body)  # well-formed XML 1.0
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    entry = next(e for e in feed.entries if e.id.endswith("/hostile-1"))
    assert entry.title == "Harbor <script>alert(1)</script> ]]> \u202eevil\u202c bell"  # text, not markup; the bell gone
    assert entry.title_detail.type == "text/plain" and entry.summary_detail.type == "text/plain"
    assert "</summary>" in entry.summary and "\x0b" not in entry.summary
    assert b"<script>" not in body and b"<b>" not in body


def test_feed_readers_poll_with_etag_and_dates(server: Server) -> None:
    url = f"{server.url}/api/search.atom?q=bridge"
    status, headers, _ = fetch(url)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"] and "max-age" in headers["Cache-Control"]
    for _ in range(4):  # every worker answers 304 to the same ETag and to the date
        assert fetch(url, **{"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(url, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(f"{server.url}/api/search.atom?q=ferry", **{"If-None-Match": headers["ETag"]})[0] == 200
    assert send("PUT", f"{server.url}/api/articles/new-bridge", {"title": "A bridge", "body": "A new bridge.", "section": "News"}, KEY)[0] == 200
    assert fetch(url, **{"If-None-Match": headers["ETag"]})[0] == 200  # a new version: a new feed


@pytest.mark.parametrize("query", ["per_page=0", "sort=sideways", "page=1000&per_page=100", "date_from=yesterday"])
def test_bad_feed_parameters_get_the_json_envelope(server: Server, query: str) -> None:
    status, headers, body = fetch(f"{server.url}/api/search.atom?{query}")
    assert status == 400 and headers["Content-Type"].startswith("application/json")
    assert set(json.loads(body)) >= {"status", "code", "message", "parameter"}


def test_opensearch_description_names_the_results_the_feed_and_suggestions(server: Server) -> None:
    status, headers, body = fetch(f"{server.url}/opensearch.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/opensearchdescription+xml")
    namespace = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    root = ElementTree.fromstring(body)
    assert root.tag == "{http://a9.com/-/spec/opensearch/1.1/}OpenSearchDescription"
    short_name = root.find("os:ShortName", namespace).text
    assert short_name == "Harbor Gazette" and len(short_name) <= 16 and root.find("os:Description", namespace).text
    templates = {url.get("type"): url.get("template") for url in root.findall("os:Url", namespace)}
    assert templates == {
        "text/html": f"{PUBLIC}/?q={{searchTerms}}",
        "application/atom+xml": f"{PUBLIC}/api/search.atom?q={{searchTerms}}",
        "application/x-suggestions+json": f"{PUBLIC}/api/suggest/opensearch?q={{searchTerms}}",
    }


def test_opensearch_suggestions(server: Server) -> None:
    status, headers, body = fetch(f"{server.url}/api/suggest/opensearch?q=bri")
    assert status == 200 and headers["Content-Type"].startswith("application/x-suggestions+json")
    query, completions = json.loads(body)
    assert query == "bri" and completions == [s["text"] for s in get_json(f"{server.url}/api/suggest?q=bri")[1]["suggestions"]]
