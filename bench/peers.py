"""The engines we compare ourselves with, each building the corpus and serving one results page.

A "results page" is what our /api/search returns for a query: the 10 best hits by
relevance with a highlighted body snippet each, the total match count, and section and
month counts over *all* matches. Every engine here does that same work in the way its
documentation suggests, so the timings compare like with like.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import tantivy

from searchsvc.articles import Article

PAGE_SIZE = 10
TITLE_WEIGHT = 2.0  # title terms count twice as much as body terms, as in our index


@dataclass(frozen=True)
class Page:
    """The engine-neutral content of one results page, to check engines did the same work."""

    total: int
    hit_ids: tuple[str, ...]
    snippets: tuple[str, ...]
    sections: dict[str, int]
    months: dict[str, int]  # "YYYY-MM" -> count
    partial: bool = False  # our service gave up counting at its time budget


class PageSource(Protocol):
    """Anything that answers a query with a results page (an engine, or our HTTP API)."""

    name: str

    def page(self, words: Sequence[str]) -> Page: ...


class Engine(PageSource, Protocol):
    """An engine that builds its own index from articles, at ``path`` (a file or folder)."""

    path: Path

    def build(self, articles: Sequence[Article]) -> None: ...

    def close(self) -> None: ...


class Fts5Engine:
    """SQLite FTS5 with the Porter stemmer; facets by GROUP BY over the matching rows."""

    name = "sqlite-fts5"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "fts5.sqlite"
        self._db: sqlite3.Connection | None = None

    def build(self, articles: Sequence[Article]) -> None:
        db = sqlite3.connect(self.path)
        db.execute(
            "CREATE VIRTUAL TABLE t USING fts5(title, body, id UNINDEXED, section UNINDEXED,"
            " published UNINDEXED, tokenize='porter unicode61')"
        )
        with db:
            db.executemany(
                "INSERT INTO t (title, body, id, section, published) VALUES (?, ?, ?, ?, ?)",
                (
                    (a.title, a.body, a.id, a.section, a.published.isoformat() if a.published else None)
                    for a in articles
                ),
            )
            db.execute("INSERT INTO t (t) VALUES ('optimize')")
        self._db = db

    def page(self, words: Sequence[str]) -> Page:
        assert self._db is not None, "build() first"
        match = " AND ".join(f'"{word}"' for word in words)
        hits = self._db.execute(
            "SELECT id, snippet(t, 1, '<mark>', '</mark>', '…', 24) FROM t WHERE t MATCH ?"
            f" ORDER BY bm25(t, {TITLE_WEIGHT}, 1.0) LIMIT {PAGE_SIZE}",
            (match,),
        ).fetchall()
        sections: Counter[str] = Counter()
        months: Counter[str] = Counter()
        for section, month, count in self._db.execute(
            "SELECT section, substr(published, 1, 7), count(*) FROM t WHERE t MATCH ? GROUP BY 1, 2",
            (match,),
        ):
            sections[section] += count
            months[month] += count
        return Page(
            total=sum(sections.values()),
            hit_ids=tuple(row[0] for row in hits),
            snippets=tuple(row[1] for row in hits),
            sections=dict(sections),
            months=dict(months),
        )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class TantivyEngine:
    """Tantivy with its English stemmer; facets by aggregations over fast fields."""

    name = "tantivy"

    # Day buckets folded into months in Python: tantivy's date_histogram has no calendar months.
    _AGGREGATIONS = {
        "sections": {"terms": {"field": "section", "size": 10_000}},
        "days": {"date_histogram": {"field": "published", "fixed_interval": "1d", "min_doc_count": 1}},
    }

    def __init__(self, directory: Path) -> None:
        self.path = directory / "tantivy"
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("section", fast=True, tokenizer_name="raw")
        builder.add_date_field("published", fast=True)
        self._schema = builder.build()
        self._index: tantivy.Index | None = None
        self._searcher: tantivy.Searcher | None = None

    def build(self, articles: Sequence[Article]) -> None:
        self.path.mkdir()
        index = tantivy.Index(self._schema, path=str(self.path))
        writer = index.writer(heap_size=256_000_000)
        for article in articles:
            document = tantivy.Document(id=article.id, title=article.title, body=article.body, section=article.section)
            if article.published is not None:
                document.add_date("published", article.published)
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self._index = index
        self._searcher = index.searcher()

    def page(self, words: Sequence[str]) -> Page:
        assert self._index is not None and self._searcher is not None, "build() first"
        searcher = self._searcher
        query = self._index.parse_query(
            " ".join(f"+{word}" for word in words), ["title", "body"], field_boosts={"title": TITLE_WEIGHT}
        )
        result = searcher.search(query, PAGE_SIZE, count=True)
        snippets = tantivy.SnippetGenerator.create(searcher, query, self._schema, "body")
        documents = [searcher.doc(address) for _score, address in result.hits]
        aggregations = searcher.aggregate(query, self._AGGREGATIONS)
        months: Counter[str] = Counter()
        for bucket in aggregations["days"]["buckets"]:
            months[bucket["key_as_string"][:7]] += bucket["doc_count"]
        return Page(
            total=result.count,
            hit_ids=tuple(document.get_first("id") for document in documents),
            snippets=tuple(snippets.snippet_from_doc(document).to_html() for document in documents),
            sections={bucket["key"]: bucket["doc_count"] for bucket in aggregations["sections"]["buckets"]},
            months=dict(months),
        )

    def close(self) -> None:
        self._searcher = None
        self._index = None
