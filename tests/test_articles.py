"""The article model: validation, normalization, dates and ids."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from searchsvc.articles import DEFAULT_SECTION, load_article


def test_minimal_record_gets_defaults_and_a_stable_id() -> None:
    first = load_article({"title": "Bridge opens", "body": "Traffic flows.", "url": "https://x.example/a"})
    again = load_article({"title": "Other title", "body": "x", "url": "https://x.example/a"})
    assert first.section == DEFAULT_SECTION and first.authors == () and first.published is None
    assert first.id == again.id and len(first.id) == 16


def test_id_without_url_hashes_title_and_published() -> None:
    a = load_article({"title": "T", "body": "b", "published": "2025-01-01"})
    b = load_article({"title": "T", "body": "b", "published": "2025-01-02"})
    assert a.id != b.id


@pytest.mark.parametrize(
    "given, expected",
    [
        ("2025-04-17T15:10:39+02:00", datetime(2025, 4, 17, 13, 10, 39, tzinfo=timezone.utc)),
        ("2025-04-17T15:10:39Z", datetime(2025, 4, 17, 15, 10, 39, tzinfo=timezone.utc)),
        ("2025-04-17 15:10:39", datetime(2025, 4, 17, 15, 10, 39, tzinfo=timezone.utc)),
        ("Thu, 17 Apr 2025 15:10:39 +0100", datetime(2025, 4, 17, 14, 10, 39, tzinfo=timezone.utc)),
        ("2025-04-17", datetime(2025, 4, 17, tzinfo=timezone.utc)),
    ],
)
def test_dates_in_the_spellings_publishers_use(given: str, expected: datetime) -> None:
    assert load_article({"title": "t", "body": "b", "published": given}).published == expected


@pytest.mark.parametrize(
    "record, field",
    [
        ({"body": "b"}, "title"),
        ({"title": "t"}, "body"),
        ({"title": "", "body": "b"}, "title"),
        ({"title": "t", "body": "b", "published": "yesterday"}, "published"),
        ({"title": "t", "body": "b", "id": "has space"}, "id"),
        ({"title": "t", "body": "b", "authors": [1]}, "authors"),
        ({"title": "t" * 1001, "body": "b"}, "title"),
    ],
)
def test_invalid_records_name_the_field(record: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_article(record)
    assert field in caught.value.messages


def test_text_is_normalized_and_control_characters_removed() -> None:
    article = load_article({"title": "Cafe\u0301\x00 news", "body": "a\x07b", "section": "  ", "tags": ["x", ""]})
    assert article.title == "Café news" and article.body == "ab"
    assert article.section == DEFAULT_SECTION and article.tags == ("x",)
