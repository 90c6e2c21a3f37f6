"""collapse=duplicates: near-duplicate groups on a real index, through SearchService, the
Flask app and a real gunicorn with live writes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
import random
import re
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from searchsvc import create_app
from searchsvc.near_duplicates import BAND_FIELDS, band_values
from searchsvc.search import duplicates
from searchsvc.search.columns import ticks_of
from searchsvc.search import SearchRequest, SearchService, Sort
from searchsvc.store import IndexStore
from tests.support import DEMO_DIR, Server, build_index, get_json, send

KEY = "dedup-test-key-0123456789"
NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")


def edited_copies(record: dict[str, Any]) -> list[dict[str, Any]]:
    """What a desk makes of a wire story: a new headline, the last paragraph (else sentence)
    trimmed, a figure corrected; each published a little later under its own id."""
    body = record["body"]
    paragraphs = [p for p in body.split("\n") if p.strip()]
    trimmed = "\n".join(paragraphs[:-1]) if len(paragraphs) > 2 else body.rsplit(".", 2)[0] + "."
    figure = NUMBER.search(body)
    corrected = body[: figure.start()] + str(int(float(figure.group())) + 1) + body[figure.end():] if figure else body + " Corrected."
    return [
        {**record, "id": f"{record['id']}-{kind}", "url": None, "title": title, "body": text}
        for kind, title, text in (("headline", "UPDATE 1-" + record["title"].title(), body), ("trimmed", record["title"], trimmed),
                                  ("corrected", record["title"], corrected))
    ]


def groups_of(service: SearchService, request: SearchRequest) -> dict[str, frozenset[str]]:
    """Every article id of a collapsed search with its group's ids, paging through all groups."""
    found: dict[str, frozenset[str]] = {}
    page = 1
    while True:
        result = service.search(SearchRequest(**{**request.__dict__, "page": page, "per_page": 100, "collapse_duplicates": True}))
        for hit in result.hits:
            members = frozenset((hit.article.id, *hit.similar_ids))
            assert hit.similar_count == len(members) - 1
            found.update(dict.fromkeys(members, members))
        if page >= result.pages:
            return found
        page += 1


@pytest.fixture(scope="module")
def reuters_with_copies(tmp_path_factory: pytest.TempPathFactory, reuters_records: list[dict[str, Any]]) -> tuple[Path, list[dict[str, Any]]]:
    """1,500 Reuters-21578 articles, and three edited copies of 100 of them (fixed seed)."""
    sample = random.Random(17).sample(reuters_records, 1_500)
    originals = [r for r in sample if len(r["body"].split()) >= 80][:100]
    folder = tmp_path_factory.mktemp("dedup")
    source = folder / "articles.jsonl"
    records = sample + [copy for record in originals for copy in edited_copies(record)]
    source.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    build_index([source], folder / "index")
    return folder / "index", originals


@pytest.mark.shared
def test_edited_copies_join_their_original_and_distinct_articles_stay_apart(reuters_with_copies: tuple[Path, list[dict[str, Any]]]) -> None:
    index_dir, originals = reuters_with_copies
    service = SearchService(IndexStore(index_dir))
    groups = groups_of(service, SearchRequest())
    copies = [(o["id"], c["id"]) for o in originals for c in edited_copies(o)]
    recall = sum(copy in groups[original] for original, copy in copies) / len(copies)
    assert recall >= 0.95, recall  # measured 1.0 (300 of 300)
    # No two of the (distinct) originals share a group: a shared topic does not merge stories.
    original_ids = {o["id"] for o in originals}
    assert all(len(groups[o] & original_ids) == 1 for o in original_ids)
    whole = service.search(SearchRequest(collapse_duplicates=True))
    assert whole.total == len(groups) and whole.total_groups == len(set(groups.values()))
    assert whole.total_groups <= whole.total - 0.95 * len(copies)


@pytest.mark.shared
def test_a_query_collapses_its_own_matches_to_the_newest_of_each_group(reuters_with_copies: tuple[Path, list[dict[str, Any]]]) -> None:
    index_dir, originals = reuters_with_copies
    service = SearchService(IndexStore(index_dir))
    original = originals[0]
    query = " ".join(original["title"].split()[:3])
    plain = service.search(SearchRequest(q=query, per_page=100))
    collapsed = service.search(SearchRequest(q=query, per_page=100, collapse_duplicates=True))
    assert collapsed.total == plain.total and collapsed.total_groups < plain.total
    shown = {hit.article.id for hit in collapsed.hits}
    members = {hit.article.id: hit for hit in collapsed.hits}
    assert sum(1 + h.similar_count for h in collapsed.hits) == plain.total  # every match counted once
    assert all(set(h.similar_ids).isdisjoint(shown) for h in collapsed.hits)
    for hit in members.values():  # the representative is the newest of its group
        dates = [service.article(i).published for i in hit.similar_ids]
        assert all(d is None or hit.article.published is None or d <= hit.article.published for d in dates)
    assert plain.facets == collapsed.facets  # facet counts count articles either way
    by_date = service.search(SearchRequest(q=query, sort=Sort.NEWEST, per_page=100, collapse_duplicates=True))
    assert by_date.total_groups == collapsed.total_groups and {h.article.id for h in by_date.hits} == shown


def test_a_recurring_report_days_later_is_not_a_rewrite() -> None:
    """The same template and headline with new figures two days later (Reuters' daily money
    market notes) is another story; the same text an hour later is a rewrite."""
    body = "The Bank of England said it revised down its forecast of the deficit in the money market today to {} mln stg from {} mln."
    texts = [body.format(750, 800), body.format(750, 800), body.format(400, 450)]
    bands = np.array([[band_values("U.K. MONEY MARKET SHORTAGE FORECAST REVISED DOWN", t)[name] for name in BAND_FIELDS] for t in texts], dtype=np.uint64)
    when = [datetime(1987, 3, 23, 7), datetime(1987, 3, 23, 8), datetime(1987, 3, 25, 7)]
    found = duplicates.group(bands, np.array([ticks_of(w) for w in when], dtype=np.int64))
    assert found.labels[0] == found.labels[1] != found.labels[2]
    assert found.representatives.tolist() == [1, 2]  # the newer of the rewrites represents them


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dedup-demo") / "index"
    build_index([DEMO_DIR], folder)
    return folder


@pytest.mark.parametrize("value", ["none", "DUPLICATES", "", "1"])
def test_a_bad_collapse_value_gets_400_naming_it(demo_index: Path, value: str) -> None:
    client = create_app({"INDEX_DIR": demo_index, "RATE_LIMIT_READ": "off"}).test_client()
    response = client.get("/api/search?q=bridge&collapse=" + urllib.parse.quote(value))
    assert response.status_code == 400 and response.json["parameter"] == "collapse", response.json


def test_the_response_says_what_it_counts(demo_index: Path) -> None:
    client = create_app({"INDEX_DIR": demo_index, "RATE_LIMIT_READ": "off"}).test_client()
    plain = client.get("/api/search?q=bridge").json
    assert "total_groups" not in plain and all("similar_count" not in hit for hit in plain["hits"])
    collapsed = client.get("/api/search?q=bridge&collapse=duplicates&fields=id").json
    assert collapsed["total"] == plain["total"] and 1 <= collapsed["total_groups"] <= plain["total"]
    assert all(set(hit) == {"id", "similar_count", "similar_ids"} for hit in collapsed["hits"])
    spec = client.get("/openapi.json").json
    parameter = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "collapse")
    assert "duplicates" in parameter["schema"]["enum"] and "newest" in parameter["description"]


def test_a_copy_written_through_the_live_api_is_grouped_by_gunicorn(tmp_path: Path) -> None:
    build_index([DEMO_DIR], tmp_path / "index")
    with Server(tmp_path / "index", workers=2, env={"SEARCHSVC_API_KEYS": KEY}) as server:
        _, first = get_json(server.url + "/api/search?q=bridge&collapse=duplicates&per_page=1")
        original = get_json(server.url + f"/api/articles/{urllib.parse.quote(first['hits'][0]['id'])}")[1]
        an_hour_later = (datetime.fromisoformat(original["published"]) + timedelta(hours=1)).isoformat()
        copy = {**original, "title": "UPDATE 1-" + original["title"], "published": an_hour_later, "updated": None, "url": None}
        del copy["id"]
        status, _, _ = send("PUT", server.url + "/api/articles/wire-copy-1", {k: v for k, v in copy.items() if v is not None}, key=KEY)
        assert status == 200
        _, after = get_json(server.url + "/api/search?q=bridge&collapse=duplicates&sort=newest&per_page=100")
        assert after["total"] == first["total"] + 1 and after["total_groups"] == first["total_groups"]
        newest = next(hit for hit in after["hits"] if hit["id"] == "wire-copy-1")  # it represents the group now
        assert original["id"] in newest["similar_ids"] and all(original["id"] != hit["id"] for hit in after["hits"]), newest
        assert newest["similar_count"] == first["hits"][0]["similar_count"] + 1
