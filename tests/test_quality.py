"""Search quality over HTTP against real indexes and a real gunicorn: did-you-mean,
completions, related articles, synonyms and the freshness boost.

Expected values are computed here from the source records, independently of the index
(which words an article has, how many articles use a word, which topic an article has).
"""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from searchsvc.search import SearchService
from searchsvc.sources import Problem, read_sources
from searchsvc.store import FUNCTION_WORDS, IndexStore
from tests.support import DEMO_DIR, REPO_ROOT, Server, build_index, get_json, shared_path

SEED_PAGE = ("seed", "000_7e37a441b11b5017.txt")
SEED_TITLE = "North Korean leader Kim Jong Un meets with Russian defense minister on military cooperation"
SYNONYMS = REPO_ROOT / "config" / "synonyms.example.txt"
_WORD = re.compile(r"\w+(?:\.?\w+)*")


@pytest.fixture(scope="module")
def news_sources() -> list[Path]:
    """The demo corpus and the scraped seed page (read by the pages reader, as .txt)."""
    return [DEMO_DIR, shared_path(*SEED_PAGE)]


@pytest.fixture(scope="module")
def news_index(tmp_path_factory: pytest.TempPathFactory, news_sources: list[Path]) -> Path:
    index_dir = tmp_path_factory.mktemp("news") / "index"
    build_index(news_sources, index_dir)
    return index_dir


@pytest.fixture(scope="module")
def news_records(news_sources: list[Path]) -> list[Any]:
    return [record for record in read_sources([str(p) for p in news_sources]) if not isinstance(record, Problem)]


@pytest.fixture(scope="module")
def news(news_index: Path) -> Iterator[Server]:
    with Server(news_index, workers=1) as server:
        yield server


def _search(server: Server, **params: Any) -> dict[str, Any]:
    status, body = get_json(f"{server.url}/api/search?{urlencode(params, doseq=True)}")
    assert status == 200, body
    return body


# -- did you mean -------------------------------------------------------------------------------


def test_misspelled_query_gets_a_suggestion_that_finds_the_article(news: Server) -> None:
    typo = _search(news, q="shoigu meetng")
    assert typo["total"] == 0
    assert typo["suggestion"] == {"text": "shoigu meeting", "html": "shoigu <mark>meeting</mark>"}
    corrected = _search(news, q=typo["suggestion"]["text"])
    assert SEED_TITLE in [hit["title"] for hit in corrected["hits"]]
    assert corrected["suggestion"] is None


def test_suggestion_keeps_the_query_around_the_corrected_words_and_escapes_it(news: Server) -> None:
    body = _search(news, q='<b>Brige "citty council"')
    assert body["suggestion"]["text"] == '<b>Bridge "city council"'
    assert body["suggestion"]["html"] == '&lt;b&gt;<mark>Bridge</mark> "<mark>city</mark> council"'


def test_no_suggestion_when_the_query_finds_enough_or_no_word_is_misspelled(news: Server) -> None:
    assert _search(news, q="bridge")["suggestion"] is None
    rare_but_right = _search(news, q="shoigu armistice")  # one article; both words are in it
    assert rare_but_right["total"] == 1 and rare_but_right["suggestion"] is None


# -- completions ------------------------------------------------------------------------------


def _document_frequency(records: list[Any]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in records:
        counts.update({w.lower() for w in _WORD.findall(record.title + "\n" + record.body)})
    return counts


def test_suggest_completes_the_word_being_typed_most_used_first(news: Server, news_records: list[Any]) -> None:
    frequency = _document_frequency(news_records)
    status, body = get_json(f"{news.url}/api/suggest?q=bri")
    assert status == 200 and body["query"] == "bri"
    texts = [s["text"] for s in body["suggestions"]]
    expected = sorted(
        (w for w in frequency if w.startswith("bri") and w not in FUNCTION_WORDS),
        key=lambda w: (-frequency[w], w),
    )[:10]
    assert texts == expected and texts[0] == "bridge"


def test_suggest_keeps_the_words_before_and_the_capitalization(news: Server) -> None:
    status, body = get_json(f"{news.url}/api/suggest?q={quote('Calder Narr')}")
    assert status == 200 and body["suggestions"][0] == {"text": "Calder Narrows"}
    for typed in ("bridge ", "", "zzqx"):
        assert get_json(f"{news.url}/api/suggest?q={quote(typed)}") == (200, {"query": typed, "suggestions": []})


# -- synonyms -----------------------------------------------------------------------------------


def test_synonyms_file_widens_matches_to_the_group(news_index: Path, news: Server, news_records: list[Any]) -> None:
    def words(record: Any) -> set[str]:
        return {w.lower() for w in _WORD.findall(record.title + "\n" + record.body)}

    with_car = {r.id for r in news_records if words(r) & {"car", "cars"}}
    with_automobile = {r.id for r in news_records if words(r) & {"automobile", "automobiles"}}
    assert with_car - with_automobile, "the demo corpus has car articles that never say automobile"
    plain = _search(news, q="automobile", per_page=100)
    with Server(news_index, workers=1, env={"SEARCHSVC_SYNONYMS": str(SYNONYMS)}) as server:
        expanded = _search(server, q="automobile", per_page=100)
    assert {h["id"] for h in plain["hits"]} == with_automobile
    assert {h["id"] for h in expanded["hits"]} == with_car | with_automobile
    marked = {m.lower() for h in expanded["hits"] for m in re.findall(r"<mark>(.*?)</mark>", h["title_html"] + h["snippet_html"])}
    assert marked & {"car", "cars"}, "synonyms are highlighted like the words typed"


# -- freshness -----------------------------------------------------------------------------------


def test_freshness_reorders_by_recency_without_changing_the_matches(news: Server) -> None:
    off = _search(news, q="bridge", per_page=100, freshness="off")
    on = _search(news, q="bridge", per_page=100, freshness="on")
    assert (on["total"], on["facets"]) == (off["total"], off["facets"])
    assert {h["id"] for h in on["hits"]} == {h["id"] for h in off["hits"]}

    def mean_rank_of_newest(body: dict[str, Any]) -> float:
        newest = sorted(body["hits"], key=lambda h: h["published"], reverse=True)[:5]
        order = [h["id"] for h in body["hits"]]
        return statistics.mean(order.index(h["id"]) for h in newest)

    assert mean_rank_of_newest(on) < mean_rank_of_newest(off)
    status, error = get_json(f"{news.url}/api/search?q=bridge&freshness=soon")
    assert status == 400 and error["parameter"] == "freshness"


# -- related articles -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reuters(reuters_index: Path) -> Iterator[Server]:
    with Server(reuters_index, workers=1) as server:
        yield server


def test_related_articles_share_the_topic_far_more_often_than_chance(reuters: Server, reuters_records: list[dict[str, Any]]) -> None:
    topic = {r["id"]: r["section"] for r in reuters_records}
    sizes = Counter(topic.values())
    sample = random.Random(21578).sample(sorted(topic), 100)
    shared = shown = 0
    for article_id in sample:
        status, body = get_json(f"{reuters.url}/api/articles/{article_id}/related")
        assert status == 200 and 0 < len(body["hits"]) <= 5
        ids = [hit["id"] for hit in body["hits"]]
        assert article_id not in ids and len(set(ids)) == len(ids)
        assert "body" not in body["hits"][0] and body["hits"][0]["title"]
        shared += sum(topic[i] == topic[article_id] for i in ids)
        shown += len(ids)
    # The chance that another article, picked at random, has the same topic.
    base_rate = statistics.mean((sizes[topic[a]] - 1) / (len(topic) - 1) for a in sample)
    rate = shared / shown
    assert rate > base_rate + 0.25, f"related share the topic {rate:.2f} of the time; chance is {base_rate:.2f}"


def test_related_of_an_unknown_article_is_a_404(reuters: Server) -> None:
    status, body = get_json(f"{reuters.url}/api/articles/no-such-article/related")
    assert status == 404 and body["code"] == "not_found"


def test_related_puts_the_newest_first_among_equally_close_articles(tmp_path: Path) -> None:
    story = "The harbour authority approved the dredging of the eastern channel for larger container ships."
    articles = [{"id": "origin", "title": "Channel dredging approved", "body": story, "published": "2025-01-01T00:00:00Z"}]
    articles += [
        {"id": f"copy-{day}", "title": "Channel dredging approved", "body": story, "published": f"2025-02-{day:02d}T00:00:00Z"}
        for day in (3, 17, 9)
    ]
    articles.append({"id": "other", "title": "Museum opens", "body": "The maritime museum opened a new wing.", "published": "2025-03-01T00:00:00Z"})
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in articles), "utf-8")
    build_index([source], tmp_path / "index")
    with Server(tmp_path / "index", workers=1) as server:
        status, body = get_json(f"{server.url}/api/articles/origin/related")
    assert status == 200
    assert [hit["id"] for hit in body["hits"]][:3] == ["copy-17", "copy-9", "copy-3"]


def test_suggest_completes_every_prefix_at_reuters_scale(reuters_index: Path) -> None:
    """Completions of 1 to 3 letters start with what was typed; how fast is bench/suggest.py's."""
    service = SearchService(IndexStore(reuters_index))
    for prefix in [w[:n] for w in ("oil", "bank", "trade", "yen", "wheat", "coffee", "dollar", "stock") for n in (1, 2, 3)]:
        completions = service.suggest(prefix)
        assert completions and all(word.startswith(prefix) for word in completions), (prefix, completions)
    assert service.suggest("oi")[0] == "oil"
