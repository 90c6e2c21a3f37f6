"""Cursors (search/cursors.py) on real indexes through a real gunicorn: walks by date that
return every article exactly once while articles are added, updated and deleted between
pages; relevance walks within one index version; walks past the 10,000-hit window; and
altered, truncated, foreign and stale cursors refused with a 400 naming ``after``."""

from __future__ import annotations

import base64
import json
import stat
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer

from searchsvc.search.cursors import KEY_FILE
from tests.support import Server, build_index, get_json, send

KEY = "cursor-test-write-key"
START = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


def record(number: int, published: datetime | None, prefix: str = "a", word: str = "harbor") -> dict[str, Any]:
    # Ids in another order than the articles': ties of dates must be broken by id, not by index order.
    article = {"id": f"{prefix}-{(number * 37) % 1000:04d}", "title": f"{word.title()} report {number}",
               "body": f"The {word} story number {number}, with {'ferry ' * (number % 5)}news.", "section": "News"}
    if published is not None:
        article["published"] = published.isoformat()
    return article


def write_corpus(folder: Path, records: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "articles.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    index_dir = folder / "index"
    build_index([source], index_dir)
    return index_dir


@pytest.fixture(scope="module")
def ties_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """300 articles on 12 distinct dates (many ties) and 20 undated ones, writes allowed."""
    records = [record(n, START + timedelta(days=n % 12) if n % 16 else None) for n in range(320)]
    with Server(write_corpus(tmp_path_factory.mktemp("ties"), records), env={"SEARCHSVC_API_KEYS": KEY}) as server:
        yield server


@pytest.fixture(scope="module")
def deep_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """10,050 short articles: more than page numbers reach."""
    records = [record(n, START + timedelta(minutes=n // 3)) for n in range(10_050)]
    for number, article in enumerate(records):
        article["id"] = f"d-{number:05d}"
    with Server(write_corpus(tmp_path_factory.mktemp("deep"), records)) as server:
        yield server


def search(server: Server, expected: int = 200, **params: Any) -> dict[str, Any]:
    status, body = get_json(f"{server.url}/api/search?{urllib.parse.urlencode(params, doseq=True)}")
    assert status == expected, (body, server.tracebacks())
    return body


def walk(server: Server, between_pages: Any = None, **params: Any) -> list[dict[str, Any]]:
    """Every hit of a search by following next_cursor; ``between_pages(page)`` runs after each page."""
    hits: list[dict[str, Any]] = []
    page = search(server, **params)
    while True:
        hits += page["hits"]
        assert len(hits) <= 20_000, "the walk does not end"
        if page["next_cursor"] is None:
            return hits
        if between_pages:
            between_pages(page)
        page = search(server, **params, after=page["next_cursor"])


def put(server: Server, article: dict[str, Any]) -> None:
    status, body, _ = send("PUT", f"{server.url}/api/articles/{article['id']}", article, key=KEY)
    assert status in (200, 201), body


def sort_key(hit: dict[str, Any], newest: bool) -> tuple[Any, ...]:
    if hit["published"] is None:
        return (1, 0, hit["id"])
    moment = datetime.fromisoformat(hit["published"]).timestamp()
    return (0, -moment if newest else moment, hit["id"])


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_date_walk_returns_every_article_present_throughout_exactly_once_while_writes_happen(ties_server: Server, sort: str) -> None:
    newest = sort == "newest"
    everything = search(ties_server, q="", sort=sort, per_page=100, fields="id")["total"]
    originals = {h["id"]: h for h in walk(ties_server, q="harbor", sort=sort, per_page=100, fields="id,published,title")}
    assert len(originals) == everything >= 300
    seen: set[str] = set()
    deleted: set[str] = set()
    beyond: set[str] = set()  # added past the cursor: must appear
    behind: set[str] = set()  # added before the cursor: must not
    counter = iter(range(10_000))

    def write_between(page: dict[str, Any]) -> None:
        seen.update(h["id"] for h in page["hits"])
        unseen = sorted(set(originals) - seen - deleted)
        n = next(counter)
        # Updates that keep the date: one not reached yet, one already returned (new document numbers for both).
        returned_original = next((h["id"] for h in page["hits"] if h["id"] in originals), unseen[0])
        for article_id in (unseen[n % len(unseen)], returned_original):
            kept = originals[article_id]
            put(ties_server, {"id": article_id, "title": kept["title"], "body": f"Harbor story, revision {n}.", "section": "News",
                              **({"published": kept["published"]} if kept["published"] else {})})
        if n % 3 == 0 and len(unseen) > 2:  # a deletion of one not reached yet
            victim = unseen[-2]
            assert send("DELETE", f"{ties_server.url}/api/articles/{victim}", key=KEY)[0] == 200
            deleted.add(victim)
        # Just ahead of the cursor's date and just behind it (undated articles come last: among
        # them, only an undated one with a greater id is ahead, and any dated one is behind).
        last = page["hits"][-1]["published"]
        step = timedelta(seconds=1 + n) * (-1 if newest else 1)
        at = datetime.fromisoformat(last) if last else START
        for moment, bucket, prefix in ((at + step if last else None, beyond, "new"), (at - step, behind, "old")):
            article = record(n, moment, prefix=f"{'zz' if moment is None else ''}{prefix}{sort}")
            put(ties_server, article)
            bucket.add(article["id"])

    hits = walk(ties_server, write_between, q="harbor", sort=sort, per_page=9, fields="id,published")
    ids = [h["id"] for h in hits]
    assert len(ids) == len(set(ids)), "an article came twice"
    returned = set(ids)
    assert set(originals) - deleted <= returned, f"missed: {sorted(set(originals) - deleted - returned)[:5]}"
    assert not deleted & returned, "an article deleted before the walk reached it was returned"
    assert beyond <= returned and not behind & returned
    assert [sort_key(h, newest) for h in hits] == sorted(sort_key(h, newest) for h in hits), "not in (date, id) order"


def test_page_numbers_and_cursors_cut_the_same_order(ties_server: Server) -> None:
    by_numbers = [h["id"] for page in range(1, 8) for h in search(ties_server, q="", sort="newest", per_page=13, page=page, fields="id")["hits"]]
    first = search(ties_server, q="", sort="newest", per_page=13, page=3, fields="id")
    after = search(ties_server, q="", sort="newest", per_page=13, fields="id", after=first["next_cursor"])
    assert [h["id"] for h in after["hits"]] == by_numbers[39:52]
    last = search(ties_server, q="", sort="newest", per_page=100, page=first["total"] // 100 + 1, fields="id")
    assert last["hits"] and last["next_cursor"] is None


def test_a_relevance_walk_is_the_page_order_of_one_index_version(ties_server: Server) -> None:
    total = search(ties_server, q="ferry news", per_page=1)["total"]
    assert total > 200  # deeper than the pool that feedback re-ranks
    by_numbers = [h["id"] for page in range(1, total // 100 + 2) for h in search(ties_server, q="ferry news", per_page=100, page=page, fields="id")["hits"]]
    walked = walk(ties_server, q="ferry news", per_page=7, fields="id")
    assert [h["id"] for h in walked] == by_numbers and len(by_numbers) == total


def test_a_relevance_cursor_is_refused_once_the_index_changed(ties_server: Server) -> None:
    first = search(ties_server, q="ferry news", per_page=5)
    put(ties_server, record(9_999, START, prefix="stale"))  # committed when answered: the next search sees the new version
    refused = search(ties_server, 400, q="ferry news", per_page=5, after=first["next_cursor"])
    assert (refused["code"], refused["parameter"]) == ("stale_cursor", "after")
    dated = search(ties_server, q="ferry news", sort="newest", per_page=5)
    put(ties_server, record(9_998, START, prefix="stale"))
    assert search(ties_server, q="ferry news", sort="newest", per_page=5, after=dated["next_cursor"])["hits"], "a date cursor outlives writes"


def tampered(cursor: str) -> list[str]:
    """The cursor truncated, with its payload changed under the old signature, and garbage."""
    payload, signature = cursor.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["i" if "i" in data else "o"] = "zzzz" if "i" in data else 0
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    return [cursor[:-4], cursor[:20], f"{forged}.{signature}", "x", "not a cursor at all", cursor.swapcase()]


@pytest.mark.parametrize("sort", ["newest", "relevance"])
def test_altered_truncated_or_foreign_cursors_get_a_400_naming_after(ties_server: Server, sort: str) -> None:
    cursor = search(ties_server, q="harbor", sort=sort, per_page=5)["next_cursor"]
    for bad in tampered(cursor):
        answer = search(ties_server, 400, q="harbor", sort=sort, after=bad)
        assert (answer["code"], answer["parameter"]) == ("invalid_cursor", "after"), bad
    # Signed, well-formed, but with another index's key: someone else's page must not be served.
    foreign = URLSafeSerializer(b"another index's key", salt="searchsvc.cursor").dumps({"v": 1, "s": "0" * 16, "o": 0, "r": "x"})
    assert search(ties_server, 400, q="harbor", sort=sort, after=foreign)["code"] == "invalid_cursor"
    # Another search's cursor: q, a filter, the sort or date_field changed.
    for changed in ({"q": "ferry"}, {"section": "Sport"}, {"sort": "oldest"}, {"date_field": "updated"}):
        answer = search(ties_server, 400, **{"q": "harbor", "sort": sort, **changed}, after=cursor)
        assert (answer["code"], answer["parameter"]) == ("invalid_cursor", "after"), changed
    both = search(ties_server, 400, q="harbor", sort=sort, page=2, after=cursor)
    assert both["parameter"] == "page"
    too_long = search(ties_server, 400, q="harbor", after="x" * 1_001)
    assert too_long["parameter"] == "after"
    # What may change between pages: per_page, fields, facets.
    assert search(ties_server, q="harbor", sort=sort, per_page=3, fields="id", facets="", after=cursor)["hits"]


def test_the_key_is_kept_beside_the_index_readable_by_its_owner_only(ties_server: Server) -> None:
    key_file = ties_server.index_dir / KEY_FILE
    assert key_file.stat().st_size == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_cursors_walk_past_the_10000_hit_window_by_date_and_by_relevance(deep_server: Server) -> None:
    refused = search(deep_server, 400, q="", per_page=100, page=101)
    assert refused["parameter"] == "page"
    by_date = [h["id"] for h in walk(deep_server, q="", sort="oldest", per_page=100, fields="id", facets="")]
    assert by_date == [f"d-{n:05d}" for n in range(10_050)]
    by_relevance = walk(deep_server, q="harbor", per_page=100, fields="id,score", facets="")
    assert len(by_relevance) == len({h["id"] for h in by_relevance}) == 10_050
    scores = [h["score"] for h in by_relevance[200:]]  # past the re-ranked pool, plain scores in order
    assert scores == sorted(scores, reverse=True)
    head = [h["id"] for page in (1, 2, 3) for h in search(deep_server, q="harbor", per_page=100, page=page, fields="id", facets="")["hits"]]
    assert head == [h["id"] for h in by_relevance[:300]]


def test_nodes_sharing_SEARCHSVC_CURSOR_KEY_accept_each_others_cursors(tmp_path: Path) -> None:
    """Behind a load balancer, the next page may be asked of another replica."""
    records = [record(n, START + timedelta(hours=n % 7)) for n in range(60)]
    shared = {"SEARCHSVC_CURSOR_KEY": "a-cluster-wide-cursor-secret"}
    one, two, alone = (write_corpus(tmp_path / name, records) for name in ("one", "two", "alone"))
    with Server(one, env=shared) as first, Server(two, env=shared) as second, Server(alone) as other:
        page = search(first, q="", sort="newest", per_page=8, fields="id")
        on_first, on_second = (search(node, q="", sort="newest", per_page=8, fields="id", after=page["next_cursor"]) for node in (first, second))
        assert on_second["hits"] == on_first["hits"] and on_second["hits"] and on_second["next_cursor"]
        refused = search(other, 400, q="", sort="newest", per_page=8, after=page["next_cursor"])
        assert (refused["code"], refused["parameter"]) == ("invalid_cursor", "after")
        assert not (one / KEY_FILE).exists() and (alone / KEY_FILE).exists()
        assert shared["SEARCHSVC_CURSOR_KEY"] not in Path(first.log.name).read_text("utf-8")
