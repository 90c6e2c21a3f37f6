"""The bulk rebuild's processes: articles streamed in chunks keep their order across segments,
and a failing or dying process stops the rebuild with an error instead of leaving it waiting."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from whoosh import index

from searchsvc import bulk_rebuild
from searchsvc.articles import load_article
from searchsvc.store import articles_fields, build_schema


def _articles(count: int) -> list[Any]:
    return [
        load_article({"id": f"a{number}", "title": f"Harbor story {number}", "body": f"The harbor bridge opened, day {number}.", "section": "city"})
        for number in range(count)
    ]


def test_segments_are_consecutive_runs_of_the_articles_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_rebuild, "CHUNK_DOCUMENTS", 5)  # segments of 7 span chunks, chunks span segments
    ix = index.create_in(str(tmp_path), build_schema())
    articles = _articles(38)
    assert bulk_rebuild.build_index(ix, articles, procs=2, documents_per_segment=7, prepare=articles_fields) == 38
    segments = ix._read_toc().segments
    assert [segment.doc_count_all() for segment in segments] == [7, 7, 7, 7, 7, 3]
    with ix.searcher() as searcher:
        assert [fields["id"] for fields in searcher.all_stored_fields()] == [article.id for article in articles]


def _fails_on_a13(articles: list[Any]) -> list[dict[str, Any]]:
    if any(article.id == "a13" for article in articles):
        raise ValueError("cannot make the fields of a13")
    return articles_fields(articles)


def test_a_failing_process_stops_the_rebuild_with_its_error(tmp_path: Path) -> None:
    ix = index.create_in(str(tmp_path), build_schema())
    with pytest.raises(bulk_rebuild.SegmentProcessError, match="cannot make the fields of a13"):
        bulk_rebuild.build_index(ix, _articles(40), procs=2, documents_per_segment=10, prepare=_fails_on_a13)
    assert ix.doc_count() == 0  # nothing committed


def _dies_on_a13(articles: list[Any]) -> list[dict[str, Any]]:
    if any(article.id == "a13" for article in articles):
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return articles_fields(articles)


def test_a_killed_process_stops_the_rebuild(tmp_path: Path) -> None:
    ix = index.create_in(str(tmp_path), build_schema())
    with pytest.raises(bulk_rebuild.SegmentProcessError, match="died"):
        bulk_rebuild.build_index(ix, _articles(40), procs=2, documents_per_segment=10, prepare=_dies_on_a13)
    assert ix.doc_count() == 0
