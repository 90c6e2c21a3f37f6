"""Where the index lives: the Whoosh schema and the index generations on disk.

A store is a folder holding complete index *generations* under ``generations/`` and a
``CURRENT`` file naming the live one. A rebuild writes a new generation beside the live
one (as ``<name>.building``), renames it when complete and then replaces ``CURRENT`` with
``os.replace``: readers see either the old generation or the new one, never a half-built
index, and a killed rebuild leaves the live generation untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import Stemmer
from whoosh import index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import FileIndex

from searchsvc.articles import Article

CURRENT_FILE = "CURRENT"
GENERATIONS_DIR = "generations"
BUILDING_SUFFIX = ".building"
META_FILE = "generation.json"
TITLE_BOOST = 2.0

_stemmer = Stemmer.Stemmer("english")


def stem_word(word: str) -> str:
    """Snowball English stemming in C (PyStemmer): same stems at index and query time.

    A module-level function so the pickled schema refers to it by name.
    """
    return _stemmer.stemWord(word)


def text_analyzer() -> StemmingAnalyzer:
    return StemmingAnalyzer(stemfn=stem_word, cachesize=100_000)


def build_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=analyzer, stored=True),
        section=ID(stored=True, sortable=True),
        published=DATETIME(stored=True, sortable=True),
        author=KEYWORD(commas=True, lowercase=True),
        tag=KEYWORD(commas=True, lowercase=True),
        url=STORED,
        summary=STORED,
        authors=STORED,
        tags=STORED,
    )


def article_fields(article: Article) -> dict[str, Any]:
    """The Whoosh document for an article (the inverse of :func:`article_from_stored`)."""
    fields: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "section": article.section,
        "author": ",".join(a.replace(",", " ") for a in article.authors),
        "tag": ",".join(t.replace(",", " ") for t in article.tags),
        "url": article.url,
        "summary": article.summary,
        "authors": list(article.authors),
        "tags": list(article.tags),
    }
    if article.published is not None:
        # Whoosh compares naive datetimes; store UTC wall time.
        fields["published"] = article.published.astimezone(timezone.utc).replace(tzinfo=None)
    return fields


def article_from_stored(stored: dict[str, Any], with_body: bool = True) -> Article:
    published = stored.get("published")
    return Article(
        id=stored["id"],
        title=stored["title"],
        body=stored["body"] if with_body else "",
        url=stored.get("url"),
        summary=stored.get("summary"),
        section=stored["section"],
        published=published.replace(tzinfo=timezone.utc) if published else None,
        authors=tuple(stored.get("authors") or ()),
        tags=tuple(stored.get("tags") or ()),
    )


@dataclass(frozen=True)
class Generation:
    name: str
    path: Path

    def open(self) -> FileIndex:
        return index.open_dir(str(self.path))

    def meta(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}


class NoIndexError(RuntimeError):
    """Raised when a store has no live generation yet."""


class IndexStore:
    """The folder of index generations and the ``CURRENT`` pointer."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.generations = self.root / GENERATIONS_DIR

    def current_name(self) -> str | None:
        try:
            name = (self.root / CURRENT_FILE).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def current(self) -> Generation:
        name = self.current_name()
        if name is None or not (self.generations / name).is_dir():
            raise NoIndexError(f"no index has been built in {self.root} yet: run `searchsvc reindex SOURCE...`")
        return Generation(name, self.generations / name)

    @contextmanager
    def new_generation(self, meta: dict[str, Any]) -> Iterator[tuple[Generation, FileIndex, dict[str, Any]]]:
        """Create an empty generation; on success make it live, on failure delete it.

        The caller may add to the yielded ``meta`` dict; it is saved with the generation.
        """
        self.generations.mkdir(parents=True, exist_ok=True)
        name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        building = self.generations / (name + BUILDING_SUFFIX)
        building.mkdir()
        (building / "pid").write_text(str(os.getpid()))
        try:
            ix = index.create_in(str(building), build_schema())
            meta = dict(meta)
            yield Generation(name, building), ix, meta
            ix.close()
            (building / "pid").unlink()
            meta.update(name=name, built_at=datetime.now(timezone.utc).isoformat())
            (building / META_FILE).write_text(json.dumps(meta, indent=2), "utf-8")
            final = self.generations / name
            os.rename(building, final)
            self.switch_to(name)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        self.remove_stale(keep=2)

    def switch_to(self, name: str) -> None:
        """Atomically point CURRENT at a complete generation."""
        tmp = self.root / f".{CURRENT_FILE}.{os.getpid()}.tmp"
        tmp.write_text(name + "\n", "utf-8")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / CURRENT_FILE)

    def remove_stale(self, keep: int = 2) -> list[str]:
        """Delete abandoned builds and all but the newest ``keep`` complete generations.

        The previous generation is kept so workers still reading it finish their requests;
        they move to the new one at their next request.
        """
        removed: list[str] = []
        if not self.generations.is_dir():
            return removed
        current = self.current_name()
        complete = sorted(p for p in self.generations.iterdir() if p.is_dir() and not p.name.endswith(BUILDING_SUFFIX))
        for path in complete[:-keep] if keep else complete:
            if path.name != current:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        for path in self.generations.glob("*" + BUILDING_SUFFIX):
            if not _builder_alive(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        return removed


def _builder_alive(building: Path) -> bool:
    """Whether the process that started this build still runs (a killed build is garbage)."""
    try:
        pid = int((building / "pid").read_text())
    except (OSError, ValueError):
        # No pid file yet: the builder may be between mkdir and write; give it a minute.
        return time.time() - building.stat().st_mtime < 60
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
