"""``updated`` dates: read from sources and the write API, stored, returned, and searched by
with date_field=updated (filters, date sorts, the date facet), against a real index."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from searchsvc.articles import load_article
from searchsvc.search import DateField, DateInterval, SearchRequest, SearchService, Sort
from searchsvc.store import IndexStore
from tests.support import Server, build_index, get_json, send

KEY = "archive-updated-test-key"
# Published in January; two revised later, in different months; one never revised.
RECORDS = [
    {"id": "u-1", "title": "Ferry timetable", "body": "The ferry timetable changes.", "published": "2025-01-05T08:00:00Z", "updated": "2025-03-02T10:00:00Z"},
    {"id": "u-2", "title": "Ferry fares", "body": "Ferry fares rise.", "published": "2025-01-10T08:00:00Z"},
    {"id": "u-3", "title": "Ferry crew", "body": "The ferry crew strikes.", "published": "2025-01-20T08:00:00Z", "updated": "2025-02-14T09:30:00+01:00"},
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive-updated")
    source = folder / "ferries.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), "utf-8")
    build_index([source], folder / "index")
    return folder / "index"


def test_updated_defaults_to_published() -> None:
    article = load_article(RECORDS[1])
    assert article.updated == article.published == datetime(2025, 1, 10, 8, tzinfo=timezone.utc)
    assert load_article(RECORDS[2]).updated == datetime(2025, 2, 14, 8, 30, tzinfo=timezone.utc)


def test_date_field_chooses_the_date_of_filters_sorts_and_the_facet(index_dir: Path) -> None:
    service = SearchService(IndexStore(index_dir))
    by_published = service.search(SearchRequest(q="ferry", sort=Sort.NEWEST, date_interval=DateInterval.MONTH))
    assert [h.article.id for h in by_published.hits] == ["u-3", "u-2", "u-1"]
    assert {b.key: b.count for b in by_published.date_facet} == {"2025-01": 3}

    by_updated = service.search(SearchRequest(q="ferry", sort=Sort.NEWEST, date_field=DateField.UPDATED, date_interval=DateInterval.MONTH))
    assert [h.article.id for h in by_updated.hits] == ["u-1", "u-3", "u-2"]
    assert {b.key: b.count for b in by_updated.date_facet} == {"2025-01": 1, "2025-02": 1, "2025-03": 1}
    assert by_updated.hits[1].article.updated == datetime(2025, 2, 14, 8, 30, tzinfo=timezone.utc)

    revised = service.search(SearchRequest(q="ferry", date_field=DateField.UPDATED, date_from=date(2025, 2, 1)))
    assert {h.article.id for h in revised.hits} == {"u-1", "u-3"}
    assert service.search(SearchRequest(q="ferry", date_from=date(2025, 2, 1))).total == 0


def test_the_write_api_stores_and_returns_updated(index_dir: Path, tmp_path: Path) -> None:
    live = tmp_path / "index"
    build_index([index_dir.parent / "ferries.jsonl"], live)
    with Server(live, workers=1, env={"SEARCHSVC_API_KEYS": KEY}) as server:
        record = {**RECORDS[1], "updated": "2025-04-01T12:00:00Z"}
        status, _, _ = send("PUT", f"{server.url}/api/articles/u-2", record, key=KEY)
        assert status == 200
        status, article = get_json(f"{server.url}/api/articles/u-2")
        assert status == 200 and (article["published"], article["updated"]) == ("2025-01-10T08:00:00+00:00", "2025-04-01T12:00:00+00:00")
        status, body = get_json(f"{server.url}/api/search?q=ferry&date_field=updated&sort=newest")
        assert status == 200 and [h["id"] for h in body["hits"]] == ["u-2", "u-1", "u-3"]
        assert body["hits"][0]["updated"] == "2025-04-01T12:00:00+00:00"
        status, error = get_json(f"{server.url}/api/search?q=ferry&date_field=modified")
        assert (status, error["parameter"]) == (400, "date_field")
