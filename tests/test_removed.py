"""Removed articles: 410 Gone for a deleted id, GET /api/removed, durability, rebuilds, replicas.

Real indexes on disk and real gunicorn; every wait is for a state.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from searchsvc import removals
from searchsvc.articles import load_article
from searchsvc.store import IndexStore
from tests.cluster_support import REPLICATION_KEY, follow, stop, wait_for
from tests.support import DEMO_DIR, Server, build_index, get_json, send

KEY = "removed-test-key"
WORKERS = 2
ASKS = 6  # requests per check: with two workers, each answers some (a wrong worker would show)


def article(article_id: str) -> dict[str, str]:
    return {"id": article_id, "title": "Pelican colony returns", "body": "A pelican colony returned to the harbor.", "section": "News"}


def removed_list(server: Server, since: str = "2000-01-01", **params: int) -> dict:
    query = "".join(f"&{name}={value}" for name, value in params.items())
    status, body = get_json(f"{server.url}/api/removed?since={quote(since)}{query}")
    assert status == 200, body
    return body


def assert_gone(server: Server, article_id: str) -> None:
    for _ in range(ASKS):
        for path in (f"/api/articles/{article_id}", f"/api/articles/{article_id}/related"):
            status, body = get_json(server.url + path)
            assert status == 410, (path, status, body)
            assert body["code"] == "gone" and article_id in body["message"] and "removed at" in body["message"], body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    folder = tmp_path_factory.mktemp("removed")
    build_index([DEMO_DIR], folder / "index")
    with Server(folder / "index", workers=WORKERS, env={"SEARCHSVC_API_KEYS": KEY}) as running:
        yield running


def test_a_deleted_article_answers_410_is_listed_and_comes_back_when_published(server: Server) -> None:
    before = datetime.now(timezone.utc)
    assert send("PUT", f"{server.url}/api/articles/pelican-1", article("pelican-1"), KEY)[0] == 200
    status, body, _ = send("DELETE", f"{server.url}/api/articles/pelican-1", key=KEY)
    assert status == 200 and body["result"] == "deleted"
    assert_gone(server, "pelican-1")
    status, body, _ = send("DELETE", f"{server.url}/api/articles/pelican-1", key=KEY)
    assert status == 410 and body["code"] == "gone" and body["parameter"] == "article_id"
    for path in ("/api/articles/never-seen", "/api/articles/never-seen/related"):
        assert get_json(server.url + path)[0] == 404
    assert send("DELETE", f"{server.url}/api/articles/never-seen", key=KEY)[0] == 404

    listed = removed_list(server, before.isoformat())
    assert [entry["id"] for entry in listed["removed"]] == ["pelican-1"] and listed["total"] == 1
    removed_at = datetime.fromisoformat(listed["removed"][0]["removed_at"])
    assert before <= removed_at <= datetime.now(timezone.utc)
    assert removed_list(server, (removed_at + timedelta(microseconds=1)).isoformat())["total"] == 0
    assert removed_list(server, listed["removed"][0]["removed_at"])["total"] == 1  # inclusive: a poller's last entry comes again

    assert send("PUT", f"{server.url}/api/articles/pelican-1", article("pelican-1"), KEY)[0] == 200  # published again
    for _ in range(ASKS):
        assert get_json(f"{server.url}/api/articles/pelican-1")[0] == 200
        assert "pelican-1" not in {entry["id"] for entry in removed_list(server)["removed"]}


def test_the_list_pages_oldest_first_and_bad_parameters_are_400(server: Server) -> None:
    before = datetime.now(timezone.utc).isoformat()
    ids = [f"gull-{number}" for number in range(5)]
    assert send("POST", f"{server.url}/api/articles", [article(i) for i in ids], KEY)[0] == 200
    for article_id in ids:
        assert send("DELETE", f"{server.url}/api/articles/{article_id}", key=KEY)[0] == 200
    pages = [removed_list(server, before, page=page, per_page=2) for page in (1, 2, 3)]
    assert [len(page["removed"]) for page in pages] == [2, 2, 1] and {page["total"] for page in pages} == {5}
    walked = [entry for page in pages for entry in page["removed"]]
    assert [entry["id"] for entry in walked] == ids
    assert [entry["removed_at"] for entry in walked] == sorted(entry["removed_at"] for entry in walked)

    for query, parameter in (("", "since"), ("since=yesterday", "since"), ("since=2025-13-01", "since"),
                             ("since=2025-01-01&per_page=1001", "per_page"), ("since=2025-01-01&per_page=0", "per_page"),
                             ("since=2025-01-01&page=0", "page")):
        status, body = get_json(f"{server.url}/api/removed?{query}")
        assert status == 400 and body["parameter"] == parameter and body["code"] == "invalid_parameter", (query, body)


def test_the_list_is_public_cors_and_rate_limited_like_search(tmp_path: Path) -> None:
    build_index([DEMO_DIR], tmp_path / "index")
    env = {"SEARCHSVC_RATE_LIMIT_READ": "3/hour", "SEARCHSVC_CORS_ORIGINS": "https://partner.example"}
    with Server(tmp_path / "index", workers=1, env=env) as limited:
        request = urllib.request.Request(limited.url + "/api/removed?since=2025-01-01", headers={"Origin": "https://partner.example"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "https://partner.example"
            assert json.loads(response.read())["removed"] == []
        statuses = [get_json(limited.url + "/api/removed?since=2025-01-01")[0] for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_an_acknowledged_delete_survives_kill_9(tmp_path: Path) -> None:
    build_index([DEMO_DIR], tmp_path / "index")
    running = Server(tmp_path / "index", workers=WORKERS, env={"SEARCHSVC_API_KEYS": KEY}).start()
    try:
        assert send("DELETE", f"{running.url}/api/articles/hg-2025-002", key=KEY)[0] == 200
        running.kill()  # right after the acknowledgement: no clean shutdown
    finally:
        running.stop()
    with Server(tmp_path / "index", workers=WORKERS) as restarted:
        assert_gone(restarted, "hg-2025-002")
        assert [entry["id"] for entry in removed_list(restarted)["removed"]] == ["hg-2025-002"]


def test_a_list_of_a_version_never_committed_is_ignored_then_cleaned_up(tmp_path: Path) -> None:
    """A writer killed between saving the list and committing leaves a list for a version that
    does not exist: readers ignore it, and the next writer deletes it."""
    store = IndexStore(tmp_path / "index")
    build_index([DEMO_DIR], store.root)
    generation = store.current()
    never = removals.Removals([removals.Removal("hg-2025-009", datetime.now(timezone.utc))])
    first_orphan = removals.save(generation.path, generation.version() + 1, never)
    assert len(removals.load(generation.path, generation.version())) == 0  # none of its version or older
    with Server(store.root, workers=1) as running:
        assert removed_list(running)["total"] == 0 and get_json(running.url + "/api/articles/hg-2025-009")[0] == 200
    store.write([("delete", "hg-2025-003")])
    assert not first_orphan.exists()
    version = generation.version()
    orphan = removals.save(generation.path, version + 1, removals.Removals([removals.Removal("hg-2025-004", datetime.now(timezone.utc))]))
    assert [entry.id for entry in removals.load(generation.path, version)] == ["hg-2025-003"]
    store.write([("delete", "hg-2025-005")])
    assert not orphan.exists()
    assert [entry.id for entry in removals.load(generation.path, generation.version())] == ["hg-2025-003", "hg-2025-005"]
    assert len(list(generation.path.glob("removed.*"))) <= removals.KEEP_FILES


def test_removals_survive_a_rebuild_unless_its_sources_carry_the_id_again(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "index")
    build_index([DEMO_DIR], store.root)
    store.write([("upsert", load_article(article("pelican-9"))), ("delete", "hg-2025-001")])
    store.write([("delete", "pelican-9")])
    build_index([DEMO_DIR], store.root)  # the demo carries hg-2025-001 again, not pelican-9
    generation = store.current()
    assert [entry.id for entry in removals.load(generation.path, generation.version())] == ["pelican-9"]
    with Server(store.root, workers=1) as running:
        assert_gone(running, "pelican-9")
        assert get_json(running.url + "/api/articles/hg-2025-001")[0] == 200


def test_a_delete_on_the_primary_reaches_the_replica(tmp_path: Path) -> None:
    build_index([DEMO_DIR], tmp_path / "primary")
    env = {"SEARCHSVC_API_KEYS": KEY, "SEARCHSVC_REPLICATION_KEYS": REPLICATION_KEY}
    with Server(tmp_path / "primary", workers=1, env=env) as primary:
        follower = follow(primary.url, tmp_path / "replica", "--interval", "0.1", log=tmp_path / "follow.log")
        try:
            with Server(tmp_path / "replica", workers=WORKERS, env={"SEARCHSVC_PRIMARY_URL": primary.url}) as replica:
                wait_for("the replica's first version", lambda: get_json(replica.url + "/healthz")[0] == 200)
                assert send("PUT", f"{primary.url}/api/articles/pelican-2", article("pelican-2"), KEY)[0] == 200
                for article_id in ("pelican-2", "hg-2025-006"):
                    assert send("DELETE", f"{primary.url}/api/articles/{article_id}", key=KEY)[0] == 200
                wait_for("the deletes on the replica", lambda: all(get_json(replica.url + "/api/articles/hg-2025-006")[0] == 410 for _ in range(ASKS)))
                assert_gone(replica, "pelican-2")
                assert [entry["id"] for entry in removed_list(replica)["removed"]] == ["pelican-2", "hg-2025-006"]
                assert removed_list(replica) == removed_list(primary)

                build_index([DEMO_DIR], primary.index_dir)  # a new generation: the demo carries hg-2025-006 again, not pelican-2
                wait_for("the new generation on the replica",
                         lambda: IndexStore(tmp_path / "replica").current_name() == IndexStore(primary.index_dir).current_name()
                         and all(get_json(replica.url + "/api/articles/hg-2025-006")[0] == 200 for _ in range(ASKS)))
                assert_gone(replica, "pelican-2")
                assert [entry["id"] for entry in removed_list(replica)["removed"]] == ["pelican-2"]
                files = sorted(path.name for path in IndexStore(tmp_path / "replica").current().path.glob("removed.*"))
                assert files == sorted(path.name for path in IndexStore(primary.index_dir).current().path.glob("removed.*")) and len(files) == 1
        finally:
            stop(follower)
