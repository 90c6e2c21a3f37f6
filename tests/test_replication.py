"""Replication between real processes: a primary's gunicorn, `searchsvc follow`, a replica's gunicorn.

(tests/test_cluster.py runs the whole topology behind nginx with Redis.)
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from searchsvc.replication.follower import INCOMING_DIR
from searchsvc.replication.manifest import Manifest
from searchsvc.replication.state import ReplicaState
from searchsvc.store import TOC_NAME, IndexStore
from tests.cluster_support import REPLICATION_KEY, follow, follow_once, stop, wait_for
from tests.support import DEMO_DIR, Server, build_index, get_json, send

WRITE_KEY = "write-key-71c2"


def article(article_id: str, word: str) -> dict[str, str]:
    return {"id": article_id, "title": f"{word.title()} sighted", "body": f"A {word} was sighted in the harbor.", "section": "News"}


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory) -> Server:
    folder = tmp_path_factory.mktemp("primary")
    build_index([DEMO_DIR], folder / "index")
    env = {"SEARCHSVC_API_KEYS": WRITE_KEY, "SEARCHSVC_REPLICATION_KEYS": f"other-key,{REPLICATION_KEY}"}
    with Server(folder / "index", workers=2, env=env) as server:
        yield server


def replica_server(index_dir: Path, primary: Server, **env: str) -> Server:
    return Server(index_dir, workers=2, env={"SEARCHSVC_PRIMARY_URL": primary.url, **env})


def manifest(primary: Server) -> Manifest:
    request = urllib.request.Request(primary.url + "/replication/manifest", headers={"Authorization": f"Bearer {REPLICATION_KEY}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return Manifest.from_dict(json.loads(response.read()))


def total(server: Server, query: str) -> int | None:
    status, body = get_json(f"{server.url}/api/search?q={query}")
    return body["total"] if status == 200 else None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong-key", f"Basic {REPLICATION_KEY}", f"Bearer {WRITE_KEY}"])
def test_replication_needs_a_replication_key(primary: Server, header: str | None) -> None:
    snapshot = manifest(primary).snapshot
    for path in ("/replication/manifest", f"/replication/files/{snapshot}/generation.json"):
        status, body, _ = send("GET", primary.url + path, key=None) if header is None else _get_with(primary.url + path, header)
        assert status == 401 and body["code"] == "unauthorized" and "files" not in body


def _get_with(url: str, authorization: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, headers={"Authorization": authorization})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_replication_is_off_without_keys(tmp_path: Path) -> None:
    build_index([DEMO_DIR], tmp_path / "index")
    with Server(tmp_path / "index", workers=1) as server:
        status, body, _ = _get_with(server.url + "/replication/manifest", f"Bearer {REPLICATION_KEY}")
        assert status == 403 and body["code"] == "replication_disabled"


def test_snapshot_files_are_served_only_by_their_manifest_names(primary: Server) -> None:
    snapshot = manifest(primary).snapshot
    for name in ("manifest.json", "..", "nothing-here", "CURRENT"):
        status, body, _ = _get_with(f"{primary.url}/replication/files/{snapshot}/{name}", f"Bearer {REPLICATION_KEY}")
        assert status == 404 and body["code"] == "not_found"


def test_a_replica_follows_writes_and_rebuilds_and_refuses_writes(primary: Server, tmp_path: Path) -> None:
    replica_dir = tmp_path / "replica"
    follower = follow(primary.url, replica_dir, "--interval", "0.1", log=tmp_path / "follow.log")
    try:
        with replica_server(replica_dir, primary) as replica:
            wait_for("the replica's first version", lambda: get_json(replica.url + "/healthz")[0] == 200)
            assert total(replica, "bridge") == total(primary, "bridge") > 0
            assert send("PUT", f"{primary.url}/api/articles/walrus-1", article("walrus-1", "walrus"), WRITE_KEY)[0] == 200
            wait_for("the write on the replica", lambda: all(total(replica, "walrus") == 1 for _ in range(8)))
            status, body, _ = send("PUT", f"{replica.url}/api/articles/x", article("x", "seal"), WRITE_KEY)
            assert status == 403 and body["code"] == "read_only_replica" and primary.url in body["message"]
            health = get_json(replica.url + "/healthz")[1]
            assert health["role"] == "replica" and health["lag_seconds"] == 0 and health["version"] == manifest(primary).snapshot
            assert get_json(primary.url + "/healthz")[1]["role"] == "primary"

            before = IndexStore(replica_dir).current_name()
            build_index([DEMO_DIR], primary.index_dir)  # a full rebuild: a new generation
            wait_for("the new generation on the replica",
                     lambda: IndexStore(replica_dir).current_name() not in (None, before) and all(total(replica, "walrus") == 0 for _ in range(8)))
            assert get_json(replica.url + "/healthz")[1]["generation"] == IndexStore(primary.index_dir).current_name()
        installed = [json.loads(line) for line in (tmp_path / "follow.log").read_text().splitlines() if '"installed"' in line]
        assert len(installed) >= 3 and all(line["event"] == "installed" for line in installed)
    finally:
        stop(follower)


def test_a_torn_transfer_is_never_served_and_is_completed_by_the_next_sync(primary: Server, tmp_path: Path) -> None:
    """What a follower killed mid-transfer leaves: verified segment files of the next version
    in place without its table of contents, and a partial download. The replica's workers
    keep serving the version they had, report the lag, and the next sync installs it whole."""
    replica_dir = tmp_path / "replica"
    follow_once(primary.url, replica_dir)
    assert send("PUT", f"{primary.url}/api/articles/narwhal-1", article("narwhal-1", "narwhal"), WRITE_KEY)[0] == 200
    newer = manifest(primary)
    live = IndexStore(replica_dir).current()
    assert live.name == newer.generation
    source = primary.index_dir / "snapshots" / newer.snapshot
    for entry in newer.files:
        if not TOC_NAME.fullmatch(entry.name) and not (live.path / entry.name).exists():
            shutil.copy(source / entry.name, live.path / entry.name)
    partial = replica_dir / INCOMING_DIR / newer.generation / f".{newer.files[0].name}.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * 10)
    ReplicaState(primary.url, f"{live.name}.{live.version()}", newer.snapshot, newer.committed_at, newer.committed_at).save(replica_dir)

    with replica_server(replica_dir, primary, SEARCHSVC_MAX_LAG="0.2") as replica:
        assert total(replica, "narwhal") == 0 and total(replica, "bridge") > 0
        wait_for("the replica to report its lag", lambda: get_json(replica.url + "/healthz")[0] == 503)
        assert get_json(replica.url + "/healthz")[1]["status"] == "lagging"
        follow_once(primary.url, replica_dir)
        wait_for("the version on the replica", lambda: all(total(replica, "narwhal") == 1 for _ in range(8)))
        assert get_json(replica.url + "/healthz")[0] == 200


def test_a_replica_without_an_index_is_out_of_service(primary: Server, tmp_path: Path) -> None:
    with replica_server(tmp_path / "empty", primary) as replica:
        status, body = get_json(replica.url + "/healthz")
        assert status == 503 and body["status"] == "no_index" and body["role"] == "replica"
        assert get_json(replica.url + "/api/search?q=bridge")[0] == 503
        follow_once(primary.url, tmp_path / "empty")
        wait_for("the replica to serve", lambda: get_json(replica.url + "/healthz")[0] == 200)


def test_follow_without_a_key_or_with_a_wrong_one_fails_clearly(primary: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from searchsvc.cli import main

    monkeypatch.delenv("SEARCHSVC_REPLICATION_KEY", raising=False)
    result = CliRunner().invoke(main, ["follow", primary.url, "--once", "--index-dir", str(tmp_path / "r")])
    assert result.exit_code != 0 and "SEARCHSVC_REPLICATION_KEY" in result.output
    monkeypatch.setenv("SEARCHSVC_REPLICATION_KEY", "wrong")
    result = CliRunner().invoke(main, ["follow", primary.url, "--once", "--index-dir", str(tmp_path / "r")])
    assert result.exit_code != 0 and "refused" in result.output and "wrong" not in result.output
    assert not (tmp_path / "r" / "generations").exists()
