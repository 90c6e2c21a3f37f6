"""The process's bounded caches: least recently used out first, within their bound."""

from __future__ import annotations

from searchsvc.articles import Article
from searchsvc.search.cache import LruCache, ResultCache, result_bytes
from searchsvc.search.model import DateInterval, Hit, SearchResult, Sort


def _result(query: str, body_chars: int = 100) -> SearchResult:
    hits = [
        Hit(article=Article(id=f"{query}-{n}", title="A title", body="", published=None), score=1.0, title_html="A title",
            snippet_html="x" * body_chars)
        for n in range(10)
    ]
    return SearchResult(query=query, total=10, page=1, per_page=10, sort=Sort.RELEVANCE, date_interval=DateInterval.MONTH,
                        took_ms=1.0, hits=hits)


def test_an_lru_cache_counts_entries_and_evicts_the_least_recently_used() -> None:
    cache: LruCache[str] = LruCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now b is the least recently used
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    assert cache.get_or_load("d", lambda: "D") == "D" and cache.get("a") is None


def test_the_result_cache_stays_within_its_bytes() -> None:
    one = result_bytes(_result("q"))
    cache = ResultCache(max_bytes=5 * one)
    for n in range(20):
        cache.put(n, _result(f"q{n}"))
        cache.put(n, _result(f"q{n}"))  # a replaced entry is not counted twice
    kept = [n for n in range(20) if cache.get(n) is not None]
    assert kept == [15, 16, 17, 18, 19]
    cache.put("huge", _result("huge", body_chars=10 * one))  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.get(19) is not None


def test_a_results_cost_grows_with_its_text() -> None:
    assert result_bytes(_result("q", body_chars=1_000)) - result_bytes(_result("q", body_chars=100)) == 10 * 900 * 2
