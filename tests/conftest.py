"""Shared fixtures: real indexes on disk (demo corpus, Reuters-21578), the Flask app and
test client over them (as in Flask's tutorial), and a real gunicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from searchsvc import create_app
from tests.support import DEMO_DIR, Server, build_index, reuters_articles


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("demo") / "index"
    build_index([DEMO_DIR], index_dir)
    return index_dir


@pytest.fixture(scope="session")
def reuters_records() -> list[dict[str, Any]]:
    return list(reuters_articles())


@pytest.fixture(scope="session")
def reuters_index(tmp_path_factory: pytest.TempPathFactory, reuters_records: list[dict[str, Any]]) -> Path:
    folder = tmp_path_factory.mktemp("reuters")
    source = folder / "reuters.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in reuters_records), "utf-8")
    index_dir = folder / "index"
    report = build_index([source], index_dir)
    assert report.skipped == 0 and report.indexed == len(reuters_records)
    return index_dir


@pytest.fixture(scope="session")
def app(demo_index: Path) -> Flask:
    return create_app({"INDEX_DIR": demo_index, "TESTING": True})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def demo_server(demo_index: Path) -> Iterator[Server]:
    with Server(demo_index, workers=2) as server:
        yield server
