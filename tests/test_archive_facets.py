"""Author and tag filters and facets, checked against brute force over the demo articles.

The expected numbers are plain Python over the JSON records; the index is a real one on
disk, and a live write adds a second segment so the per-segment columns are joined.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from searchsvc.articles import load_article
from searchsvc.search.columns import KeywordColumn
from searchsvc.search import SearchError, SearchRequest, SearchService, SearchSettings
from searchsvc.store import IndexStore
from tests.support import DEMO_DIR, build_index

EVERY_FACET = ("section", "date", "author", "tag")
LATE = {
    "id": "late-1",
    "title": "Harbor bridge cables inspected",
    "body": "Inspectors checked the cables of the harbor bridge overnight.",
    "section": "News",
    "published": "2026-11-30T08:00:00Z",
    "authors": ["INES WALKER", "Nadia Ferro"],
    "tags": ["Harbor Bridge", "inspection"],
}


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DEMO_DIR / "articles.jsonl").read_text("utf-8").splitlines() if line.strip()] + [LATE]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    folder = tmp_path_factory.mktemp("archive-facets")
    shutil.copy(DEMO_DIR / "articles.jsonl", folder / "articles.jsonl")
    build_index([folder / "articles.jsonl"], folder / "index")
    store = IndexStore(folder / "index")
    store.write([("upsert", load_article(LATE))])  # a second segment, with a new spelling of a known author
    return SearchService(store)


def _brute(records: list[dict[str, Any]], authors: set[str] = frozenset(), tags: set[str] = frozenset(), sections: set[str] = frozenset()) -> list[dict[str, Any]]:
    return [
        r for r in records
        if (not authors or {a.lower() for a in r.get("authors", [])} & authors)
        and (not tags or {t.lower() for t in r.get("tags", [])} & tags)
        and (not sections or r["section"].lower() in sections)
    ]


def _counts(records: list[dict[str, Any]], key: str) -> Counter[str]:
    return Counter(value.lower() for r in records for value in r.get(key, []))


def _facet(result: Any, name: str) -> dict[str, int]:
    """The values counted (a selected value without matches is shown with 0)."""
    return {value.value.lower(): value.count for value in result.facets[name] if value.count}


def test_facets_count_every_match_and_say_how_many_were_left_out(service: SearchService, records: list[dict[str, Any]]) -> None:
    result = service.search(SearchRequest(facets=EVERY_FACET, facet_size=100))
    assert result.total == len(records)
    assert _facet(result, "author") == _counts(records, "authors")
    assert _facet(result, "tag") == _counts(records, "tags")
    assert result.facets_omitted == {"author": 0, "tag": 0}

    top = service.search(SearchRequest(facets=("tag",), facet_size=3))
    expected = sorted(_counts(records, "tags").items(), key=lambda item: (-item[1], item[0]))
    assert [(v.value.lower(), v.count) for v in top.facets["tag"]] == expected[:3]
    assert top.facets_omitted == {"tag": len(expected) - 3}
    assert set(top.facets) == {"tag"}  # only the facets asked for


def test_filters_or_within_and_across_and_facets_ignore_only_their_own(service: SearchService, records: list[dict[str, Any]]) -> None:
    authors, tags, sections = {"ines walker", "kofi mensah"}, {"harbor bridge", "flu"}, {"news", "politics"}
    result = service.search(SearchRequest(
        authors=("Ines WALKER", "kofi mensah"), tags=("harbor bridge", "FLU"), sections=("News", "Politics"),
        facets=EVERY_FACET, facet_size=100, per_page=100,
    ))
    expected = _brute(records, authors, tags, sections)
    assert expected and result.total == len(expected)
    assert {hit.article.id for hit in result.hits} == {r["id"] for r in expected}
    assert _facet(result, "author") == _counts(_brute(records, set(), tags, sections), "authors")
    assert _facet(result, "tag") == _counts(_brute(records, authors, set(), sections), "tags")
    assert _facet(result, "section") == Counter(r["section"].lower() for r in _brute(records, authors, tags))
    assert {v.value.lower() for v in result.facets["author"] if v.selected} == authors
    assert {v.value.lower() for v in result.facets["tag"] if v.selected} == tags


def test_values_are_shown_as_written_and_selected_ones_always_shown(service: SearchService) -> None:
    result = service.search(SearchRequest(tags=("INSPECTION", "no such tag"), facets=("tag",), facet_size=1))
    shown = {v.value: (v.count, v.selected) for v in result.facets["tag"]}
    assert shown["inspection"] == (1, True)  # as the article wrote it, not as asked
    assert shown["no such tag"] == (0, True)
    assert len(shown) == 3  # the top value, then the two selected
    assert "Ines Walker" in {v.value for v in service.search(SearchRequest(facets=("author",))).facets["author"]}


def test_default_facets_are_todays(service: SearchService) -> None:
    result = service.search(SearchRequest(q="bridge"))
    assert set(result.facets) == {"section", "date"} and result.facets_omitted == {}


@pytest.mark.parametrize(("request_", "parameter"), [
    (SearchRequest(facets=("section", "people")), "facets"),
    (SearchRequest(facet_size=0), "facet_size"),
    (SearchRequest(facet_size=101), "facet_size"),
])
def test_bad_facet_requests_name_the_parameter(service: SearchService, request_: SearchRequest, parameter: str) -> None:
    with pytest.raises(SearchError) as refused:
        service.search(request_)
    assert refused.value.parameter == parameter


# ---- search as you type (prefix=last) ------------------------------------------------------


def test_the_last_word_as_a_prefix_finds_the_harbor_bridge_articles(service: SearchService, records: list[dict[str, Any]]) -> None:
    assert service.search(SearchRequest(q="harbor brid")).total == 0  # exact words: "brid" is no word
    typed = service.search(SearchRequest(q="harbor brid", prefix_last=True, per_page=100))
    whole = service.search(SearchRequest(q="harbor bridge", per_page=100))
    assert whole.total > 0 and {h.article.id for h in typed.hits} == {h.article.id for h in whole.hits}
    assert all("<mark>" in hit.title_html + hit.snippet_html for hit in typed.hits)


def test_a_one_letter_last_word_is_searched_as_written(service: SearchService) -> None:
    # The analyzer keeps no one-letter words, so "harbor b" searches for harbor alone.
    assert service.search(SearchRequest(q="harbor b", prefix_last=True)).total == service.search(SearchRequest(q="harbor")).total


def test_a_prefix_is_bounded_like_any_wildcard_and_typos_still_get_corrections(service: SearchService) -> None:
    narrow = SearchService(service.store, SearchSettings(max_expansions=3))  # the demo's "co" has more words than 3
    with pytest.raises(SearchError) as refused:
        narrow.search(SearchRequest(q="harbor co", prefix_last=True))
    assert refused.value.code == "query_too_broad" and refused.value.parameter == "q"
    assert narrow.search(SearchRequest(q="harbor co")).total == 0  # without prefix=last, "co" is a word
    corrected = service.search(SearchRequest(q="harbor brigde", prefix_last=True))
    assert corrected.total == 0 and corrected.suggestion is not None and corrected.suggestion.text == "harbor bridge"


@pytest.mark.parametrize("share", [0.01, 0.5, 1.0])
def test_a_keyword_column_gives_each_documents_values_by_either_path(share: float) -> None:
    """Few matches gather their own pairs; many are kept by a mask: both give every pair."""
    rng = np.random.default_rng(16)
    documents = 2_000
    docs = rng.integers(0, documents, 6_000)
    codes = rng.integers(0, 50, docs.size).astype(np.int32)
    column = KeywordColumn.of(docs, codes, documents)
    matched = np.sort(rng.choice(documents, int(documents * share), replace=False))
    wanted = set(matched.tolist())
    expected = Counter(int(c) for d, c in zip(docs.tolist(), codes.tolist()) if d in wanted)
    assert Counter(column.codes_of(matched).tolist()) == expected


# ---- fields, snippet_length, highlight ------------------------------------------------------


def test_fields_not_asked_for_are_not_made(service: SearchService) -> None:
    light = service.search(SearchRequest(q="harbor bridge", fields=("id", "title", "url")))
    full = service.search(SearchRequest(q="harbor bridge"))
    assert [h.article.id for h in light.hits] == [h.article.id for h in full.hits] and light.hit_fields == ("id", "title", "url")
    assert all(h.snippet_html == "" and h.title_html == "" for h in light.hits)
    assert all("<mark>" in h.snippet_html for h in full.hits)


def test_snippet_length_and_highlight_off(service: SearchService) -> None:
    plain = service.search(SearchRequest(q="bridge", highlight=False, per_page=20))
    assert plain.hits and all("<mark>" not in h.title_html + h.snippet_html for h in plain.hits)
    short = service.search(SearchRequest(q="bridge", snippet_length=60, per_page=20))
    long = service.search(SearchRequest(q="bridge", snippet_length=600, per_page=20))
    text = lambda hit: hit.snippet_html.replace("<mark>", "").replace("</mark>", "")  # noqa: E731
    assert sum(map(len, map(text, short.hits))) * 3 < sum(map(len, map(text, long.hits)))
    for request_, parameter in ((SearchRequest(fields=("id", "body")), "fields"), (SearchRequest(snippet_length=10), "snippet_length")):
        with pytest.raises(SearchError) as refused:
            service.search(request_)
        assert refused.value.parameter == parameter


def test_deleting_the_only_article_of_an_author_keeps_the_index_open(tmp_path: Path) -> None:
    """The deleted article's author and tags stay in the term index until a merge, with no live
    article: opening the version failed (an IndexError), so every worker kept serving the
    version before the delete, and a restarted one answered 503."""
    store = IndexStore(tmp_path / "index")
    build_index([DEMO_DIR], store.root)
    store.write([("upsert", load_article({**LATE, "authors": ["Only Once"], "tags": ["only-once"]}))])
    store.write([("delete", "late-1")])
    service = SearchService(store)
    assert service.article("late-1") is None
    facets = service.search(SearchRequest(facets=("author", "tag"), facet_size=100)).facets
    assert facets["author"] and "Only Once" not in {value.value for value in facets["author"]}
    assert facets["tag"] and "only-once" not in {value.value for value in facets["tag"]}
