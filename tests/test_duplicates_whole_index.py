"""collapse=duplicates groups the whole index version once and restricts its groups to each
search's matches (search/duplicates.py): a story joined through an article the search did
not match, the grouping resumed search after search within the time budget, live writes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from searchsvc.articles import load_article
from searchsvc.near_duplicates import BAND_FIELDS, BANDS, band_values
from searchsvc.search import SearchRequest, SearchResult, SearchService, SearchSettings, duplicates
from searchsvc.search.columns import ticks_of
from searchsvc.store import IndexStore
from tests.support import DEMO_DIR, build_index

FIRST = datetime(2025, 3, 3, 6)
BODY = ("The harbour authority said on Monday it would close the northern breakwater to shipping for six weeks "
        "while divers repair storm damage, diverting container traffic to the southern channel until April.")
# One wire story rewritten 30 and 60 hours later: each rewrite is within 36 hours of the one
# before, the last is not within 36 hours of the first. The middle one is filed under Business.
STORY = [
    {"id": f"wire-breakwater-{n}", "title": "Northern breakwater to close for repairs", "body": BODY,
     "section": "Business" if n == 1 else "News", "published": (FIRST + timedelta(hours=30 * n)).isoformat() + "+00:00"}
    for n in range(3)
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dedup-whole")
    (folder / "story.jsonl").write_text("".join(json.dumps(article) + "\n" for article in STORY), "utf-8")
    build_index([DEMO_DIR, folder / "story.jsonl"], folder / "index")
    return folder / "index"


def story_hits(result: SearchResult) -> list[tuple[str, tuple[str, ...]]]:
    return [(hit.article.id, hit.similar_ids) for hit in result.hits if hit.article.id.startswith("wire-breakwater")]


def test_matches_rewritten_through_an_article_the_search_filtered_out_are_one_story(index_dir: Path) -> None:
    """The first and last rewrite are 60 hours apart: alone, they are not joined (what
    grouping only the matches gave). Through the middle rewrite they are one story, whichever
    search finds them; the middle one is never shown where the search did not match it."""
    first, last = STORY[0], STORY[2]
    bands = np.array([[band_values(a["title"], a["body"])[name] for name in BAND_FIELDS] for a in (first, last)], dtype=np.uint64)
    alone = duplicates.group(bands, np.array([ticks_of(datetime.fromisoformat(a["published"])) for a in (first, last)], dtype=np.int64))
    assert alone.count == 2
    service = SearchService(IndexStore(index_dir))
    everywhere = service.search(SearchRequest(q="breakwater", collapse_duplicates=True))
    assert (everywhere.total, everywhere.total_groups) == (3, 1)
    assert story_hits(everywhere) == [(last["id"], (first["id"], STORY[1]["id"]))]
    in_news = service.search(SearchRequest(q="breakwater", sections=("News",), collapse_duplicates=True))
    assert (in_news.total, in_news.total_groups) == (2, 1)
    assert story_hits(in_news) == [(last["id"], (first["id"],))]
    browsing = service.search(SearchRequest(sections=("News",), collapse_duplicates=True, per_page=100))
    assert story_hits(browsing) == [(last["id"], (first["id"],))]
    assert browsing.total_groups == browsing.total - 1


def groups_shown(result: SearchResult) -> set[frozenset[str]]:
    return {frozenset((hit.article.id, *hit.similar_ids)) for hit in result.hits}


def test_the_grouping_stops_at_the_deadline_says_partial_and_resumes(index_dir: Path) -> None:
    """With no time budget left, each collapsed search groups one band more (partial) until
    all are done; a partial answer only lacks merges, it never joins what the whole does not."""
    budgetless = SearchService(IndexStore(index_dir), SearchSettings(time_budget_s=0.0))
    answers = [budgetless.search(SearchRequest(per_page=100, collapse_duplicates=True)) for _ in range(BANDS)]
    assert [answer.partial for answer in answers] == [True] * (BANDS - 1) + [False]
    whole = SearchService(IndexStore(index_dir)).search(SearchRequest(per_page=100, collapse_duplicates=True))
    assert not whole.partial and groups_shown(answers[-1]) == groups_shown(whole)
    for answer in answers:
        assert answer.total == whole.total and answer.total_groups >= whole.total_groups
        assert all(any(shown <= group for group in groups_shown(whole)) for shown in groups_shown(answer))


def upsert(store: IndexStore, article: dict[str, Any]) -> None:
    store.write([("upsert", load_article(article))])


def test_live_writes_regroup_the_next_search(tmp_path: Path) -> None:
    """The groups are cached per index version: a write makes a new version, and the very next
    search groups it: deleting the middle rewrite splits the story, writing it back joins it."""
    (tmp_path / "story.jsonl").write_text("".join(json.dumps(article) + "\n" for article in STORY), "utf-8")
    build_index([DEMO_DIR, tmp_path / "story.jsonl"], tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    service = SearchService(store)
    ask = SearchRequest(q="breakwater", collapse_duplicates=True)
    assert service.search(ask).total_groups == 1
    store.write([("delete", STORY[1]["id"])])
    split = service.search(ask)
    assert (split.total, split.total_groups) == (2, 2) and not split.partial
    upsert(store, STORY[1])
    joined = service.search(ask)
    assert (joined.total, joined.total_groups) == (3, 1)
    upsert(store, {**STORY[2], "id": "wire-breakwater-3", "published": (FIRST + timedelta(hours=61)).isoformat() + "+00:00"})
    newest = service.search(ask)
    assert (newest.total, newest.total_groups) == (4, 1) and newest.hits[0].article.id == "wire-breakwater-3"
