"""The JSON API over HTTP, against a real gunicorn with two workers on 127.0.0.1."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support import Server, build_index, get_json

HOSTILE = {
    "id": "hostile-1",
    "title": "Council <script>alert(1)</script> & budget",
    "body": "The budget & the <script>alert(1)</script> vote on the budget were <b>delayed</b>.",
    "section": "Politics",
    "published": "2025-05-01T10:00:00Z",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    folder = tmp_path_factory.mktemp("http")
    hostile = folder / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE) + "\n", "utf-8")
    from tests.support import DEMO_DIR

    build_index([DEMO_DIR, hostile], folder / "index")
    with Server(folder / "index", workers=2) as running:
        yield running


def search(server: Server, **params: object) -> tuple[int, dict]:
    return get_json(f"{server.url}/api/search?{urllib.parse.urlencode(params, doseq=True)}")


def test_search_answers_with_hits_facets_and_snippets(server: Server) -> None:
    status, body = search(server, q="bridge", per_page=5)
    assert status == 200
    assert body["total"] > 5 and body["pages"] == -(-body["total"] // 5) and len(body["hits"]) == 5
    hit = body["hits"][0]
    assert set(hit) == {"id", "url", "title", "summary", "section", "published", "updated", "authors", "tags", "score", "title_html", "snippet_html"}
    assert "<mark>" in hit["snippet_html"] + hit["title_html"] and isinstance(hit["score"], float)
    assert sum(c["count"] for c in body["facets"]["section"]) == body["total"]
    assert sum(b["count"] for b in body["facets"]["date"]) == body["total"]
    bucket = body["facets"]["date"][0]
    assert set(bucket) == {"key", "from", "to", "count"} and bucket["from"] <= bucket["to"]


def test_section_filter_is_multi_select_and_counts_agree_across_workers(server: Server) -> None:
    _, everything = search(server, q="bridge")
    counts = {c["value"]: c["count"] for c in everything["facets"]["section"]}
    chosen = sorted(counts)[:2]
    for _ in range(4):  # several requests, so both workers answer
        status, body = search(server, q="bridge", section=chosen)
        assert status == 200 and body["total"] == sum(counts[s] for s in chosen)
        assert {c["value"]: c["count"] for c in body["facets"]["section"]} == counts
        assert {c["value"] for c in body["facets"]["section"] if c["selected"]} == set(chosen)


def test_date_range_and_sort(server: Server) -> None:
    status, body = search(server, date_from="2025-06-01", date_to="2025-08-31", sort="oldest", per_page=100)
    dates = [hit["published"] for hit in body["hits"]]
    assert status == 200 and dates and dates == sorted(dates)
    assert all("2025-06-01" <= d[:10] <= "2025-08-31" for d in dates)


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"q": "x" * 1001}, "q"),
        ({"per_page": 1000}, "per_page"),
        ({"page": 0}, "page"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"sort": "best"}, "sort"),
        ({"date_interval": "week"}, "date_interval"),
        ({"q": "title:*x* AND", "date_from": "2025-02-01", "date_to": "2025-01-01"}, "date_from"),
        ({"q": "AND OR NOT"}, "q"),
        ({"page": 500, "per_page": 100}, "page"),
    ],
)
def test_bad_input_gets_a_4xx_json_error_naming_the_parameter(server: Server, params: dict, parameter: str) -> None:
    status, body = search(server, **params)
    assert 400 <= status < 500
    assert body["status"] == status and body["parameter"] == parameter and body["message"]


def test_unknown_paths_and_methods_use_the_same_envelope(server: Server) -> None:
    status, body = get_json(server.url + "/no/such/page")
    assert status == 404 and body["code"] == "not_found"
    request = urllib.request.Request(server.url + "/api/search", method="DELETE")
    try:
        urllib.request.urlopen(request)
        raise AssertionError("DELETE /api/search must be refused")
    except urllib.error.HTTPError as error:
        assert error.code == 405 and json.loads(error.read())["code"] == "method_not_allowed"


def test_article_by_id_and_404(server: Server) -> None:
    status, body = get_json(server.url + "/api/articles/hostile-1")
    assert status == 200 and body["body"] == HOSTILE["body"]
    status, body = get_json(server.url + "/api/articles/missing-article")
    assert status == 404 and body["parameter"] == "article_id"


def test_untrusted_text_comes_back_escaped_with_only_mark_added(server: Server) -> None:
    _, body = search(server, q="budget alert", section="Politics")
    hit = next(h for h in body["hits"] if h["id"] == "hostile-1")
    for html in (hit["title_html"], hit["snippet_html"]):
        assert "<script" not in html and "<b>" not in html
        assert "&lt;script&gt;" in html and "&amp;" in html
        stripped = html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped
    assert "<mark>alert</mark>" in hit["title_html"]


def test_author_and_tag_filters_and_facets_over_http(server: Server) -> None:
    status, body = search(server, q="bridge", author=["ines walker", "KOFI MENSAH"], tag="harbor bridge", facets="author,tag,section", facet_size=2)
    assert status == 200 and set(body["facets"]) == {"author", "tag", "section"}
    assert body["total"] > 0 and all({"Ines Walker", "Kofi Mensah"} & set(h["authors"]) and "harbor bridge" in h["tags"] for h in body["hits"])
    assert {v["value"] for v in body["facets"]["author"] if v["selected"]} == {"Ines Walker", "Kofi Mensah"}  # as written
    assert len([v for v in body["facets"]["tag"] if not v["selected"]]) <= 2 and body["facets_omitted"]["tag"] >= 0
    _, default = search(server, q="bridge")
    assert set(default["facets"]) == {"section", "date"} and default["facets_omitted"] == {}
    for params, parameter in (({"facets": "section,people"}, "facets"), ({"facet_size": 0}, "facet_size"), ({"facet_size": 101}, "facet_size")):
        status, error = search(server, q="bridge", **params)
        assert (status, error["parameter"]) == (400, parameter)


def test_prefix_last_searches_as_you_type_over_http(server: Server) -> None:
    _, exact = search(server, q="harbor brid")
    _, typed = search(server, q="harbor brid", prefix="last")
    _, whole = search(server, q="harbor bridge")
    assert exact["total"] == 0 and typed["total"] == whole["total"] > 0
    status, error = search(server, q="harbor brid", prefix="first")
    assert (status, error["parameter"]) == (400, "prefix")


def test_health_openapi_and_docs(server: Server) -> None:
    status, health = get_json(server.url + "/healthz")
    assert status == 200 and health["status"] == "ok" and health["articles"] == 75
    status, spec = get_json(server.url + "/openapi.json")
    assert status == 200 and {"/api/search", "/api/articles/{article_id}", "/healthz"} <= set(spec["paths"])
    documented = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert documented == {"q", "section", "date_from", "date_to", "sort", "page", "per_page", "date_interval", "freshness", "author", "tag", "facets", "facet_size", "prefix", "date_field", "fields", "snippet_length", "highlight", "after", "collapse"}
    with urllib.request.urlopen(server.url + "/docs") as response:
        page = response.read().decode()
    assert "/api/search" in page and "per_page" in page


def test_cors_on_reads_for_other_origins(server: Server) -> None:
    request = urllib.request.Request(server.url + "/api/search?q=bridge", headers={"Origin": "https://news.example"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://news.example")


def test_search_before_any_index_is_a_clear_503(tmp_path: Path) -> None:
    with Server(tmp_path / "empty-index", workers=1) as empty:
        status, body = get_json(empty.url + "/api/search?q=x")
        assert status == 503 and body["code"] == "index_unavailable" and "reindex" in body["message"]
        status, health = get_json(empty.url + "/healthz")
        assert status == 503 and health["status"] == "no_index"
