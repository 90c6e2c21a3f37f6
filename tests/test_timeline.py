"""GET /api/timeline: every period of the range, matching and all articles, exact."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from searchsvc import create_app
from searchsvc.search import SearchRequest, SearchService, TimelineInterval
from searchsvc.store import IndexStore
from tests.support import DEMO_DIR, build_index


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("timeline") / "index"
    build_index([DEMO_DIR], folder)
    return folder


@pytest.mark.parametrize("interval", list(TimelineInterval))
@pytest.mark.parametrize("query, sections", [("bridge", ()), ("harbor OR council", ()), ("", ("Business",))])
def test_every_bucket_counts_what_the_search_finds_in_it(index_dir: Path, interval: TimelineInterval, query: str, sections: tuple[str, ...]) -> None:
    service = SearchService(IndexStore(index_dir))
    buckets = service.timeline(SearchRequest(q=query, sections=sections), interval).buckets
    assert buckets and all(later.start == earlier.end + timedelta(days=1) for earlier, later in zip(buckets, buckets[1:]))  # no gap
    assert sum(b.total for b in buckets) == service.search(SearchRequest(sections=sections)).total
    for bucket in buckets:
        assert bucket.count == service.search(SearchRequest(q=query, sections=sections, date_from=bucket.start, date_to=bucket.end)).total
        assert bucket.total == service.search(SearchRequest(sections=sections, date_from=bucket.start, date_to=bucket.end)).total
        assert bucket.share == (round(bucket.count / bucket.total, 6) if bucket.total else 0.0)
    if interval is TimelineInterval.WEEK:
        assert all(b.start.weekday() == 0 and b.key == f"{b.start.isocalendar()[0]}-W{b.start.isocalendar()[1]:02d}" for b in buckets)


def test_the_range_given_is_covered_whole_with_empty_periods(index_dir: Path) -> None:
    app = create_app({"INDEX_DIR": index_dir, "RATE_LIMIT_READ": "off"})
    body = app.test_client().get("/api/timeline?q=bridge&interval=month&date_from=2020-01-01&date_to=2020-03-31").json
    assert [(b["key"], b["from"], b["to"], b["count"], b["total"]) for b in body["buckets"]] == [
        ("2020-01", "2020-01-01", "2020-01-31", 0, 0), ("2020-02", "2020-02-01", "2020-02-29", 0, 0), ("2020-03", "2020-03-01", "2020-03-31", 0, 0)]
    assert body["interval"] == "month" and body["partial"] is False


@pytest.mark.parametrize("query, parameter", [("interval=hour", "interval"), ("interval=day&date_from=1990-01-01", "interval"),
                                              ("date_from=2026-02-01&date_to=2026-01-01", "date_from"), ("page=2", None)])
def test_bad_timeline_parameters_get_400(index_dir: Path, query: str, parameter: str | None) -> None:
    app = create_app({"INDEX_DIR": index_dir, "RATE_LIMIT_READ": "off"})
    response = app.test_client().get(f"/api/timeline?{query}")
    if parameter is None:  # parameters of the search that a timeline does not take are ignored, as elsewhere
        assert response.status_code == 200
    else:
        assert response.status_code == 400 and response.json["parameter"] == parameter
