"""`searchsvc reindex --replay-since`: a rebuild from a CMS export keeps the API writes made
after the export; the journal that makes it possible is kept across rebuilds, and bounded.

Real indexes on disk, the real command in a subprocess, a real gunicorn for the writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from searchsvc.articles import Article, load_article
from searchsvc.indexer import index_articles
from searchsvc.journal import JournalBounds, ReplayTooOldError
from searchsvc.store import IndexStore
from tests.support import DEMO_DIR, REPO_ROOT, Server, build_index, get_json, send

KEY = "replay-test-key"


def demo_records() -> list[dict]:
    return [json.loads(line) for line in (DEMO_DIR / "articles.jsonl").read_text("utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return path


def reindex_command(index_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchsvc", "reindex", "--no-progress", "--index-dir", str(index_dir), *arguments],
        cwd=REPO_ROOT, env={**os.environ}, capture_output=True, text=True, timeout=120,
    )


def revised(record: dict, title: str, updated: str) -> dict:
    return {**record, "title": title, "updated": updated}


def test_export_then_writes_then_rebuild_keeps_the_newer_copies(tmp_path: Path) -> None:
    records = {record["id"]: record for record in demo_records()}
    index_dir = tmp_path / "index"
    build_index([write_jsonl(tmp_path / "yesterday.jsonl", list(records.values()))], index_dir)
    with Server(index_dir, workers=2, env={"SEARCHSVC_API_KEYS": KEY}) as server:
        def put(record: dict) -> None:
            assert send("PUT", f"{server.url}/api/articles/{record['id']}", record, KEY)[0] == 200

        put({**records["hg-2025-004"], "id": "before-export", "title": "Written before the export"})
        exported_at = datetime.now(timezone.utc)
        # The CMS export, taken now: it has its own revisions of two articles.
        export = dict(records)
        export["hg-2025-001"] = revised(records["hg-2025-001"], "Export copy of one", "2026-11-01T00:00:00Z")
        export["hg-2025-002"] = revised(records["hg-2025-002"], "Export copy of two, revised last", "2030-01-01T00:00:00Z")
        write_jsonl(tmp_path / "export.jsonl", list(export.values()))
        # API writes after the export, before the rebuild.
        put(revised(records["hg-2025-001"], "API copy of one, revised last", datetime.now(timezone.utc).isoformat()))
        put(revised(records["hg-2025-002"], "API copy of two", "2026-10-01T00:00:00Z"))  # older than the export's
        put({**records["hg-2025-004"], "id": "after-export", "title": "Written after the export"})
        assert send("DELETE", f"{server.url}/api/articles/hg-2025-003", key=KEY)[0] == 200

        run = reindex_command(index_dir, "--replay-since", exported_at.isoformat(), str(tmp_path / "export.jsonl"))
        assert run.returncode == 0, run.stdout + run.stderr
        assert "replayed 3 journaled writes" in run.stdout, run.stdout

        def title(article_id: str) -> str | None:
            status, body = get_json(f"{server.url}/api/articles/{article_id}")
            return body["title"] if status == 200 else status

        for _ in range(6):  # both workers, on the new generation
            assert title("hg-2025-001") == "API copy of one, revised last"
            assert title("hg-2025-002") == "Export copy of two, revised last"
            assert title("after-export") == "Written after the export"
            assert title("hg-2025-003") == 410
            assert title("before-export") == 404  # before the export and not in it: not replayed
        assert [entry["id"] for entry in get_json(f"{server.url}/api/removed?since={exported_at.date()}")[1]["removed"]] == ["hg-2025-003"]

        # Without --replay-since the rebuild is the export (plus what is written while it runs).
        assert reindex_command(index_dir, str(tmp_path / "export.jsonl")).returncode == 0
        assert title("hg-2025-001") == "Export copy of one" and title("after-export") == 404


def test_replay_from_before_what_the_journal_holds_is_refused(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index([DEMO_DIR], index_dir)
    store = IndexStore(index_dir)
    live = store.current_name()
    run = reindex_command(index_dir, "--replay-since", "2026-01-01T00:00:00Z", str(DEMO_DIR))
    assert run.returncode != 0 and "cannot replay the writes since 2026-01-01T00:00:00+00:00" in run.stderr
    assert "holds no dated write yet" in run.stderr
    first = datetime.now(timezone.utc)
    store.write([("delete", "hg-2025-001")])
    run = reindex_command(index_dir, "--replay-since", (first - timedelta(seconds=5)).isoformat(), str(DEMO_DIR))
    assert run.returncode != 0 and "it holds every write since" in run.stderr
    assert store.current_name() == live  # refused before anything was built
    bad = reindex_command(index_dir, "--replay-since", "last tuesday", str(DEMO_DIR))
    assert bad.returncode == 2 and "--replay-since" in bad.stderr


def article(number: int) -> Article:
    return load_article({"id": f"journal-{number}", "title": f"Journal test {number}", "body": "x" * 400, "section": "News"})


def test_the_journal_is_kept_across_rebuilds_and_bounded_but_never_trimmed_under_a_running_rebuild(tmp_path: Path) -> None:
    bounds = JournalBounds(keep_days=1, max_bytes=20_000)
    store = IndexStore(tmp_path / "index", journal_bounds=bounds)
    build_index([DEMO_DIR], store.root)
    started = datetime.now(timezone.utc)
    for number in range(60):  # ~600 bytes a line: past the bound, trimmed as it goes
        store.write([("upsert", article(number))])
    assert store.journal.size() <= bounds.max_bytes * 1.25 + 1_000
    held = store.journal.held_from()
    assert held is not None and held > started
    with pytest.raises(ReplayTooOldError):
        store.journal.check_replay_since(started)
    store.journal.check_replay_since(held)

    during: list[int] = []

    def demo_while_writing() -> Iterator[Article]:
        """The rebuild's sources; API-like writes arrive while it reads them."""
        for position, record in enumerate(demo_records()):
            if position == 10:
                for number in range(100, 160):
                    store.write([("upsert", article(number))])
                during.append(store.journal.size())
            yield load_article(record)

    report = index_articles(demo_while_writing(), store)
    assert during[0] > bounds.max_bytes * 1.25  # not trimmed while the rebuild held its offset
    assert store.journal.size() == during[0]  # nor cut by the rebuild's switch
    assert report.indexed == len(demo_records())
    service_ids = store.live_ids()
    assert {f"journal-{number}" for number in range(100, 160)} <= service_ids  # every write during the rebuild replayed
    store.write([("upsert", article(999))])  # the next write trims
    assert store.journal.size() <= bounds.max_bytes * 1.25 + 1_000

    later = datetime.now(timezone.utc) + timedelta(days=2)  # by age: everything older than a day goes
    assert store.journal.needs_trim(later)
    store.journal.trim(later)
    assert list(store.journal.entries()) == [] and store.journal.held_from() > started


def test_a_journal_from_before_dated_entries_is_read_and_complete_from_its_first_dated_write(tmp_path: Path) -> None:
    """An index upgraded in place: its journal has undated lines and no header."""
    store = IndexStore(tmp_path / "index")
    build_index([DEMO_DIR], store.root)
    store.journal.path.write_text(json.dumps({"op": "delete", "id": "hg-2025-001"}) + "\n", "utf-8")
    assert store.journal.held_from() is None
    first = datetime.now(timezone.utc)
    store.write([("upsert", article(1))])
    held = store.journal.held_from()
    assert held is not None and held >= first
    assert [(entry.at is None, entry.change[0]) for entry in store.journal.entries()] == [(True, "delete"), (False, "upsert")]
    assert [entry.change[1].id for entry in store.journal.entries(since=first)] == ["journal-1"]
