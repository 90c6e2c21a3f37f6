"""Search over a real index of Reuters-21578, checked against brute force over the articles.

The expected numbers are computed here independently of the search layer: the articles are
tokenized and stemmed the way the index analyzes them, and the matching, filtering,
counting and sorting are plain Python over the records.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import Stemmer

from searchsvc.search import DateInterval, SearchRequest, SearchService, Sort
from searchsvc.store import IndexStore

_stem = Stemmer.Stemmer("english").stemWord
_TOKEN = re.compile(r"\w+(\.?\w+)*")


def _stems(text: str) -> set[str]:
    return {_stem(match.group(0).lower()) for match in _TOKEN.finditer(text)}


@pytest.fixture(scope="module")
def service(reuters_index: Path) -> SearchService:
    return SearchService(IndexStore(reuters_index))


@pytest.fixture(scope="module")
def records(reuters_records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for record in reuters_records:
        record["_stems"] = _stems(record["title"]) | _stems(record["body"])
        record["_when"] = datetime.fromisoformat(record["published"])
    return reuters_records


def _brute(records: list[dict[str, Any]], words: list[str], sections: set[str] = frozenset(),
           start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    wanted = {_stem(w) for w in words}
    return [
        r for r in records
        if wanted <= r["_stems"]
        and (not sections or r["section"] in sections)
        and (start is None or r["_when"].date() >= start)
        and (end is None or r["_when"].date() <= end)
    ]


QUERIES = [["oil"], ["oil", "prices"], ["wheat"], ["dividend", "quarterly"], ["yen"], ["bank", "rates"], ["coffee"]]


@pytest.mark.parametrize("words", QUERIES, ids=" ".join)
def test_total_and_facets_equal_brute_force(service: SearchService, records: list[dict[str, Any]], words: list[str]) -> None:
    result = service.search(SearchRequest(q=" ".join(words), date_interval=DateInterval.MONTH))
    expected = _brute(records, words)
    assert result.total == len(expected) > 0
    assert {c.value: c.count for c in result.section_facet} == Counter(r["section"] for r in expected)
    assert {b.key: b.count for b in result.date_facet} == Counter(r["_when"].strftime("%Y-%m") for r in expected)
    assert not result.partial


def test_section_and_date_filters_with_multiselect_facets(service: SearchService, records: list[dict[str, Any]]) -> None:
    sections, start, end = {"crude", "ship"}, date(1987, 3, 1), date(1987, 4, 15)
    result = service.search(SearchRequest(q="oil", sections=tuple(sections), date_from=start, date_to=end, date_interval=DateInterval.DAY))
    assert result.total == len(_brute(records, ["oil"], sections, start, end))
    # Section counts ignore the section filter but honour the dates, and vice versa.
    assert {c.value: c.count for c in result.section_facet} == Counter(r["section"] for r in _brute(records, ["oil"], set(), start, end))
    assert {b.key: b.count for b in result.date_facet} == Counter(r["_when"].date().isoformat() for r in _brute(records, ["oil"], sections))
    assert {c.value for c in result.section_facet if c.selected} == sections
    for hit in result.hits:
        assert hit.article.section in sections
        assert start <= hit.article.published.date() <= end


def test_section_filter_without_matches_returns_nothing(service: SearchService) -> None:
    """Whoosh treats an empty filter as no filter; we must not."""
    result = service.search(SearchRequest(q="oil", sections=("no-such-section",)))
    assert result.total == 0 and result.hits == []
    assert sum(c.count for c in result.section_facet) > 0  # the facet still offers the real sections


@pytest.mark.parametrize("sort", [Sort.NEWEST, Sort.OLDEST])
def test_date_sorts_are_exact(service: SearchService, records: list[dict[str, Any]], sort: Sort) -> None:
    result = service.search(SearchRequest(q="wheat", sort=sort, per_page=25, page=2))
    expected = sorted((r["_when"] for r in _brute(records, ["wheat"])), reverse=sort is Sort.NEWEST)[25:50]
    assert [hit.article.published for hit in result.hits] == expected


def test_browse_without_query_is_newest_first_over_everything(service: SearchService, records: list[dict[str, Any]]) -> None:
    result = service.search(SearchRequest(per_page=5))
    assert result.sort is Sort.NEWEST and result.total == len(records)
    assert [h.article.published for h in result.hits] == sorted((r["_when"] for r in records), reverse=True)[:5]


def test_relevance_puts_title_matches_first_and_pages_do_not_overlap(service: SearchService) -> None:
    first = service.search(SearchRequest(q="coffee", per_page=10))
    second = service.search(SearchRequest(q="coffee", per_page=10, page=2))
    assert all("coffee" in hit.article.title.lower() for hit in first.hits[:5])
    assert not {h.article.id for h in first.hits} & {h.article.id for h in second.hits}
    scores = [h.score for h in first.hits + second.hits]
    assert scores == sorted(scores, reverse=True)


def test_phrase_and_negation(service: SearchService, records: list[dict[str, Any]]) -> None:
    phrase = service.search(SearchRequest(q='"crude oil"', per_page=100))
    assert 0 < phrase.total < service.search(SearchRequest(q="crude oil")).total
    without = service.search(SearchRequest(q="oil -opec", per_page=100))
    assert without.total == len([r for r in _brute(records, ["oil"]) if _stem("opec") not in r["_stems"]])


def test_snippets_mark_stemmed_words_on_the_shown_page(service: SearchService) -> None:
    result = service.search(SearchRequest(q="shipping", per_page=5))
    for hit in result.hits:
        assert "<mark>" in hit.snippet_html + hit.title_html
        marked = re.findall(r"<mark>(.*?)</mark>", hit.snippet_html + hit.title_html)
        assert all(_stem(word.lower()) == "ship" for word in marked)
        assert len(re.sub(r"<.*?>", "", hit.snippet_html)) < 400
