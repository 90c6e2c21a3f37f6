"""A live index: writes through the API, rebuilds while serving, killed rebuilds, keys.

Everything runs for real: gunicorn with 4 workers on 127.0.0.1, the `searchsvc` command
in subprocesses, and a Whoosh index on disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from searchsvc.cli import main
from searchsvc.search import SearchRequest, SearchService
from searchsvc.store import IndexStore
from tests.support import DEMO_DIR, REPO_ROOT, Server, build_index, get_json, send, synthetic_jsonl

KEY = "test-key-8f3a9c"
OTHER_KEY = "second-key-22b1"


def article(article_id: str, word: str = "lighthouse") -> dict[str, Any]:
    return {
        "id": article_id,
        "title": f"Harbor {word} report {article_id}",
        "body": f"The {word} keeper filed report {article_id} about the harbor lights.",
        "section": "News",
        "published": "2026-11-01T08:00:00Z",
    }


def reindex_process(sources: list[Path], index_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SEARCHSVC_INDEX_DIR": str(index_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "searchsvc", "reindex", "--no-progress", *map(str, sources)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def found_everywhere(server: Server, article_id: str, tries: int = 16) -> bool:
    """Ask often enough that every worker has answered (new connection each time)."""
    return all(get_json(f"{server.url}/api/articles/{article_id}")[0] == 200 for _ in range(tries))


def gone_everywhere(server: Server, article_id: str, tries: int = 16) -> bool:
    """Deleted: 410 Gone in every worker (tests/test_removed.py), also after a rebuild."""
    return all(get_json(f"{server.url}/api/articles/{article_id}")[0] == 410 for _ in range(tries))


def serve_demo(folder: Path) -> Server:
    build_index([DEMO_DIR], folder / "index")
    return Server(folder / "index", workers=4, env={"SEARCHSVC_API_KEYS": f"{KEY},{OTHER_KEY}"})


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Server:
    """One 4-worker service shared by the tests that leave it running."""
    with serve_demo(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture()
def own_live(tmp_path: Path) -> Server:
    """A service of the test's own, for tests that stop or restart it."""
    with serve_demo(tmp_path) as server:
        yield server


def test_full_reindex_and_writes_while_searching(live: Server, tmp_path: Path) -> None:
    big = synthetic_jsonl(tmp_path / "big.jsonl", 1_500)
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def searcher(queries: list[str]) -> None:
        deadline = time.monotonic() + 300  # bounded even if the test body fails (a bound, not a speed)
        while not stop.is_set() and time.monotonic() < deadline:
            for q in queries:
                status, _ = get_json(f"{live.url}/api/search?{urllib.parse.urlencode({'q': q})}")
                statuses[status] += 1

    threads = [threading.Thread(target=searcher, args=(qs,)) for qs in (["bridge", "election"], ["heat*", '"city council"'], ["", "flu"])]
    for thread in threads:
        thread.start()
    try:
        before = IndexStore(live.index_dir).current_name()
        rebuild = reindex_process([DEMO_DIR, big], live.index_dir)
        # Write while the rebuild runs (after it has started its snapshot).
        while not list((live.index_dir / "generations").glob("*.building")):
            assert rebuild.poll() is None, rebuild.stdout.read()
            time.sleep(0.02)
        written = [f"live-{n}" for n in range(12)]
        for article_id in written:
            assert send("PUT", f"{live.url}/api/articles/{article_id}", article(article_id), KEY)[0] == 200
        assert send("DELETE", f"{live.url}/api/articles/live-3", key=KEY)[0] == 200
        output, _ = rebuild.communicate(timeout=120)
        assert rebuild.returncode == 0, output
        assert IndexStore(live.index_dir).current_name() != before
        searched = sum(statuses.values())
        while sum(statuses.values()) < searched + 30:  # the searchers go on across the switch
            assert all(thread.is_alive() for thread in threads)
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert statuses[200] > 50 and set(statuses) == {200}, (statuses, live.tracebacks())
    for article_id in written:
        if article_id == "live-3":
            assert gone_everywhere(live, article_id)
        else:
            assert found_everywhere(live, article_id), article_id
    status, health = get_json(live.url + "/healthz")
    assert health["articles"] == 74 + 1_500 + 11


def test_concurrent_writes_to_all_workers_are_serialized_and_durable(own_live: Server) -> None:
    live = own_live
    results: list[tuple[int, dict[str, str]]] = []

    def writer(worker: int) -> None:
        for n in range(8):
            for _attempt in range(5):
                status, body, headers = send("PUT", f"{live.url}/api/articles/w{worker}-{n}", article(f"w{worker}-{n}"), KEY)
                results.append((status, headers))
                if status != 503:
                    break
                time.sleep(float(headers.get("Retry-After", "1")))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in results} <= {200, 503}
    assert all("Retry-After" in headers for status, headers in results if status == 503)
    live.stop()  # a restart must keep every acknowledged write
    with Server(live.index_dir, workers=2) as restarted:
        for w in range(6):
            for n in range(8):
                assert get_json(f"{restarted.url}/api/articles/w{w}-{n}")[0] == 200


def test_writes_become_visible_in_every_worker(live: Server) -> None:
    assert send("PUT", f"{live.url}/api/articles/fresh-1", article("fresh-1", "albatross"), KEY)[0] == 200
    deadline = time.monotonic() + 60  # a bound for a broken build: each worker sees it at its next search
    while time.monotonic() < deadline:
        answers = [get_json(f"{live.url}/api/search?q=albatross")[1]["total"] for _ in range(12)]
        if answers == [1] * 12:
            break
        time.sleep(0.05)
    assert answers == [1] * 12


def test_a_version_that_cannot_be_opened_for_a_moment_is_survived(own_live: Server) -> None:
    """A new version whose table of contents is missing for a while (a disk hiccup, a torn
    copy) is not opened: workers answer from the version they had (or 503 with Retry-After),
    then open it once it is whole. Workers used to close their searcher first and answer
    500 (ReaderClosed) to every later uncached search until they were restarted."""
    live = own_live
    for n in range(8):  # every worker opens the index and keeps a searcher
        assert get_json(f"{live.url}/api/search?q=harbor&page={n % 3 + 1}")[0] == 200
    assert send("PUT", f"{live.url}/api/articles/hiccup-1", article("hiccup-1", "walrus"), KEY)[0] == 200
    generation = IndexStore(live.index_dir).current().path
    tocs = list(generation.glob("_MAIN_*.toc"))
    aside = [toc.rename(toc.with_name(toc.name + ".aside")) for toc in tocs]
    try:
        answers = [send("GET", f"{live.url}/api/search?q=harbor+report+{n}") for n in range(24)]  # uncached
    finally:
        for moved, toc in zip(aside, tocs):
            moved.rename(toc)
    assert {status for status, _, _ in answers} <= {200, 503}, [body for status, body, _ in answers if status != 200]
    assert all("Retry-After" in headers for status, _, headers in answers if status == 503)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [get_json(f"{live.url}/api/search?q=walrus&per_page={n + 1}") for n in range(12)]  # uncached
        if all(status == 200 for status, _ in found) and [body["total"] for _, body in found] == [1] * 12:
            break
        assert all(status in (200, 503) for status, _ in found), found
        time.sleep(0.05)
    assert [body["total"] for _, body in found] == [1] * 12


def _building_state(index_dir: Path, stage: str) -> bool:
    """Whether a rebuild of ``index_dir`` has reached ``stage``: its folder made, its first
    index file written, or its index committed (the table of contents) and waiting to switch."""
    building = list((index_dir / "generations").glob("*.building"))
    if stage == "started":
        return bool(building)
    names = {path.name for folder in building for path in folder.iterdir()} - {"pid"}
    if stage == "writing":  # a segment's file, beside the empty index's table of contents
        return any(not name.endswith(".toc") for name in names)
    return any(name.endswith(".toc") and name != "_MAIN_0.toc" for name in names)


@pytest.mark.parametrize("stage", ["started", "writing", "committed"])
def test_killed_rebuild_leaves_the_live_index_serving(live: Server, tmp_path: Path, stage: str) -> None:
    """A rebuild killed at any stage leaves the live generation serving.

    The test holds the store's write lock, which a rebuild takes just before it switches, so
    the kill lands before the switch however fast the machine builds; it waits for states.
    """
    big = synthetic_jsonl(tmp_path / "big.jsonl", 4_000)
    store = IndexStore(live.index_dir)
    before = store.current_name()
    with store.write_lock(timeout=10):
        rebuild = reindex_process([big], live.index_dir)
        while not _building_state(live.index_dir, stage):
            assert rebuild.poll() is None, rebuild.communicate()[0]
            time.sleep(0.005)
        rebuild.send_signal(signal.SIGKILL)
        rebuild.wait()
    status, body = get_json(f"{live.url}/api/search?q=bridge")
    assert status == 200 and body["total"] > 0
    assert store.current_name() == before
    again = reindex_process([DEMO_DIR], live.index_dir)
    output, _ = again.communicate(timeout=60)
    assert again.returncode == 0, output
    assert not list((live.index_dir / "generations").glob("*.building"))
    assert store.current_name() != before


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Bearer wrong-key", f"Basic {KEY}", f"bearer {KEY}x"])
def test_write_keys_are_checked(live: Server, header: str | None) -> None:
    import urllib.request

    request = urllib.request.Request(f"{live.url}/api/articles/k1", data=json.dumps(article("k1")).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
    if header is not None:
        request.add_header("Authorization", header)
    try:
        urllib.request.urlopen(request)
        raise AssertionError("the write must be refused")
    except urllib.error.HTTPError as error:
        assert error.code == 401 and json.loads(error.read())["code"] == "unauthorized"
    assert get_json(f"{live.url}/api/articles/k1")[0] == 404


def test_keys_never_reach_the_logs(own_live: Server) -> None:
    live = own_live
    send("PUT", f"{live.url}/api/articles/logged", article("logged"), KEY)
    send("PUT", f"{live.url}/api/articles/logged", article("logged"), "wrong-" + OTHER_KEY)
    live.stop()
    log = Path(live.log.name).read_text("utf-8", "replace")
    assert KEY not in log and OTHER_KEY not in log


def test_writes_disabled_without_keys(tmp_path: Path) -> None:
    build_index([DEMO_DIR], tmp_path / "index")
    with Server(tmp_path / "index", workers=1, env={"SEARCHSVC_API_KEYS": ""}) as server:
        status, body, _ = send("PUT", f"{server.url}/api/articles/x", article("x"), KEY)
        assert status == 403 and "SEARCHSVC_API_KEYS" in body["message"]


def test_bulk_upsert_reports_bad_items_and_indexes_good_ones(live: Server) -> None:
    lines = "\n".join([json.dumps(article("bulk-1")), "{oops", json.dumps({"title": "no body"}), json.dumps(article("bulk-2"))])
    status, body, _ = send("POST", f"{live.url}/api/articles", lines.encode(), KEY, "application/x-ndjson")
    assert status == 200 and body["indexed"] == 2 and body["failed"] == 2
    assert [e["item"] for e in body["errors"]] == [2, 3] and body["errors"][1]["field"] == "body"
    status, body, _ = send("POST", f"{live.url}/api/articles", [article(f"many-{n}") for n in range(1_001)], KEY)
    assert status == 413
    assert found_everywhere(live, "bulk-2", tries=4)


def test_incremental_update_and_delete_missing(tmp_path: Path, runner: CliRunner) -> None:
    index_dir = tmp_path / "index"
    build_index([DEMO_DIR], index_dir)
    source = tmp_path / "update.jsonl"
    source.write_text(json.dumps(article("upd-1")) + "\n" + json.dumps({**article("hg-2025-001"), "title": "Replaced title"}) + "\n")
    result = runner.invoke(main, ["reindex", "--update", str(source), "--index-dir", str(index_dir)])
    assert result.exit_code == 0 and "indexed 2" in result.output
    service = SearchService(IndexStore(index_dir))
    assert service.search(SearchRequest()).total == 75
    assert service.article("hg-2025-001").title == "Replaced title"
    result = runner.invoke(main, ["reindex", "--update", "--delete-missing", str(source), "--index-dir", str(index_dir)])
    assert result.exit_code == 0 and "deleted 73" in result.output
    assert service.search(SearchRequest()).total == 2
