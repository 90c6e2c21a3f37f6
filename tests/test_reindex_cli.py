"""The reindex and status commands, and what a rebuild does to the live generation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchsvc import indexer
from searchsvc.articles import load_article
from searchsvc.cli import main
from searchsvc.indexer import MAX_SORT_MB, MIN_SORT_MB
from searchsvc.search import SearchRequest, SearchService
from searchsvc.store import IndexStore
from tests.support import DEMO_DIR

GOOD = {"id": "a1", "title": "Harbor bridge opens", "body": "The bridge opened today.", "section": "News", "published": "2025-01-02"}


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_reindex_reports_bad_records_and_indexes_the_good_ones(tmp_path: Path, runner: CliRunner) -> None:
    source = write_jsonl(tmp_path / "mixed.jsonl", [json.dumps(GOOD), "{not json", json.dumps({"body": "no title"}), json.dumps({**GOOD, "id": "a2"})])
    result = runner.invoke(main, ["reindex", str(source), "--index-dir", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert "indexed 2 articles, skipped 2" in result.output
    assert "mixed.jsonl:line 2" in result.output and "mixed.jsonl:line 3: title" in result.output
    assert SearchService(IndexStore(tmp_path / "ix")).search(SearchRequest(q="bridge")).total == 2


def test_nothing_indexable_fails_and_leaves_the_live_index_alone(tmp_path: Path, runner: CliRunner) -> None:
    index_dir = tmp_path / "ix"
    assert runner.invoke(main, ["reindex", str(DEMO_DIR), "--index-dir", str(index_dir)]).exit_code == 0
    live = IndexStore(index_dir).current_name()
    bad = write_jsonl(tmp_path / "bad.jsonl", ["{broken"])
    result = runner.invoke(main, ["reindex", str(bad), str(tmp_path / "missing.jsonl"), "--index-dir", str(index_dir)])
    assert result.exit_code != 0 and "no valid article" in result.output
    assert "missing.jsonl: no such file" in result.output
    assert IndexStore(index_dir).current_name() == live
    assert not list((index_dir / "generations").glob("*.building"))


def test_rebuild_switches_generation_and_old_searchers_move_on(tmp_path: Path, runner: CliRunner) -> None:
    index_dir = tmp_path / "ix"
    first = write_jsonl(tmp_path / "one.jsonl", [json.dumps(GOOD)])
    runner.invoke(main, ["reindex", str(first), "--index-dir", str(index_dir)])
    service = SearchService(IndexStore(index_dir))
    assert service.search(SearchRequest(q="bridge")).total == 1
    runner.invoke(main, ["reindex", str(DEMO_DIR), "--index-dir", str(index_dir)])
    assert service.search(SearchRequest(q="bridge")).total > 1
    assert service.article("a1") is None


def test_status_command(tmp_path: Path, runner: CliRunner) -> None:
    index_dir = tmp_path / "ix"
    assert runner.invoke(main, ["status", "--index-dir", str(index_dir)]).exit_code != 0
    runner.invoke(main, ["reindex", str(DEMO_DIR), "--index-dir", str(index_dir)])
    status = json.loads(runner.invoke(main, ["status", "--index-dir", str(index_dir)]).output)
    assert status["articles"] == 74 and status["sources"] == [str(DEMO_DIR)]


def test_console_script_and_module_run_with_env_index_dir(tmp_path: Path) -> None:
    env = {**os.environ, "SEARCHSVC_INDEX_DIR": str(tmp_path / "ix")}
    done = subprocess.run([sys.executable, "-m", "searchsvc", "reindex", str(DEMO_DIR)], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "indexed 74 articles" in done.stdout
    assert (tmp_path / "ix" / "CURRENT").exists()


def test_killed_build_is_cleaned_up_and_never_served(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "ix")
    abandoned = store.generations / "20000101T000000-deadbeef.building"
    abandoned.mkdir(parents=True)
    (abandoned / "pid").write_text("999999999")
    assert store.current_name() is None
    store.remove_stale()
    assert not abandoned.exists()


def test_build_killed_right_after_its_folder_was_made_is_cleaned_up_at_once(tmp_path: Path) -> None:
    """The builder's pid is in the folder's name: no window in which a fresh folder has no owner."""
    store = IndexStore(tmp_path / "ix")
    abandoned = store.generations / "20000101T000000-deadbeef.999999999.building"
    abandoned.mkdir(parents=True)
    running = store.generations / f"20000101T000001-cafebabe.{os.getpid()}.building"
    running.mkdir()
    assert store.remove_stale() == [abandoned.name]
    assert running.exists()


def test_relevance_search_after_live_updates_left_deleted_documents(tmp_path: Path, runner: CliRunner) -> None:
    """Updates delete the old version in place; ranking reads posting blocks and must cope."""
    index_dir = tmp_path / "ix"
    runner.invoke(main, ["reindex", str(DEMO_DIR), "--index-dir", str(index_dir)])
    store = IndexStore(index_dir)
    store.write([("upsert", load_article({**GOOD, "id": "hg-2025-001", "title": "Bridge bridge replaced"}))])
    service = SearchService(store)
    result = service.search(SearchRequest(q="bridge", per_page=100))
    assert [hit.article.title for hit in result.hits if hit.article.id == "hg-2025-001"] == ["Bridge bridge replaced"]
    assert len({hit.article.id for hit in result.hits}) == len(result.hits) == result.total
    assert "hg-2025-001" in {hit.article.id for hit in service.search(SearchRequest(q="replaced")).hits}


@pytest.mark.parametrize(("physical_mb", "procs", "expected"), [(2_048, 2, MIN_SORT_MB), (4_096, 2, 512), (4_096, 1, 1_024), (65_536, 2, MAX_SORT_MB)])
def test_a_full_rebuild_sorts_in_memory_sized_by_the_machine(monkeypatch: pytest.MonkeyPatch, physical_mb: int, procs: int, expected: int) -> None:
    """Each writer process may take an eighth of physical memory (two: a quarter), within bounds."""
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": physical_mb * 2**20 // 4096}
    monkeypatch.setattr(indexer.os, "sysconf", lambda name: pages[name])
    assert indexer._sort_memory_mb(procs) == expected
