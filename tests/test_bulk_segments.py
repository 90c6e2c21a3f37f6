"""The bulk segment writer writes what Whoosh's writer writes: the same bytes in every
segment file, the same postings read back through Whoosh, the same answers."""

from __future__ import annotations

import gzip
import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index
from whoosh.fields import NGRAM, Schema

from searchsvc import bulk_rebuild, bulk_segments
from searchsvc.articles import load_article
from searchsvc.search.model import SearchRequest
from searchsvc.search.service import SearchService
from searchsvc.sources import read_sources
from searchsvc.store import WRITER_OPTIONS, IndexStore, article_fields, build_schema
from tests.support import DEMO_DIR, build_index, shared_path

# Plain, phrase, prefix, negation, boosts, misspelled, sections and dates (bench/speed.py's kinds).
QUERIES = [
    "oil", "oil prices", '"crude oil"', "bank rat*", "oil -gas", "oil NOT crude", "wheat^2 corn",
    "(oil OR gas) AND price^3", "japan trade surplus", "goverment budgett", "bridge council",
    '"city council"', "coun*", "", "weather -rain", "election OR vote",
]


def _documents(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    seen: set[str] = set()
    documents = []
    for record in read_sources([str(path)]):
        if hasattr(record, "id") and record.id not in seen:
            seen.add(record.id)
            documents.append(article_fields(record))
    return documents[:limit]


def _write_both(tmp_path: Path, documents: list[dict[str, Any]]) -> tuple[Any, Any]:
    """The documents written once by Whoosh's writer and once by the bulk writer, each as one segment."""
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "bulk").mkdir()
    by_whoosh = index.create_in(str(tmp_path / "whoosh"), build_schema())
    with by_whoosh.writer(**WRITER_OPTIONS) as writer:
        for fields in documents:
            writer.add_document(**fields)
    by_bulk = index.create_in(str(tmp_path / "bulk"), build_schema())
    assert bulk_rebuild.build_index(by_bulk, documents, procs=1, documents_per_segment=len(documents) + 1) == len(documents)
    return by_whoosh, by_bulk


def _assert_same_files(by_whoosh: Any, by_bulk: Any) -> int:
    """Every file of the two indexes' (single) segments is byte for byte the same; how many there are."""
    (ours,) = by_bulk._read_toc().segments
    (theirs,) = by_whoosh._read_toc().segments
    assert ours.doc_count_all() == theirs.doc_count_all()
    folder_whoosh, folder_bulk = Path(by_whoosh.storage.folder), Path(by_bulk.storage.folder)
    names = sorted(p.name for p in folder_whoosh.iterdir() if theirs.segid in p.name)
    assert sorted(p.name.replace(ours.segid, theirs.segid) for p in folder_bulk.iterdir() if ours.segid in p.name) == names
    for name in names:
        assert (folder_bulk / name.replace(theirs.segid, ours.segid)).read_bytes() == (folder_whoosh / name).read_bytes(), name
    return len(names)


def _read_everything(ix: Any) -> dict[str, Any]:
    """All an index holds, read through Whoosh's own reader: every term's postings (ids,
    weights, values), term statistics, field lengths, stored fields and sortable columns."""
    schema = ix.schema
    with ix.reader() as reader:
        postings = {}
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            info = reader.term_info(fieldname, text)
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight(), info.min_id(), info.max_id())
            items = []
            while matcher.is_active():
                items.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings[(fieldname, text)] = (stats, items)
        docs = range(reader.doc_count_all())
        scorable = [name for name in schema.names() if schema[name].scorable]
        return {
            "postings": postings,
            "lengths": {name: [reader.doc_field_length(d, name) for d in docs] for name in scorable},
            "totals": {name: reader.field_length(name) for name in scorable},
            "stored": list(reader.all_stored_fields()),
            "columns": {name: list(reader.column_reader(name)) for name in schema.names() if schema[name].column_type},
        }


def test_every_field_of_the_schema_is_handled() -> None:
    """Fails when someone adds a field type the bulk writer does not reproduce: add it to
    bulk_segments.SUPPORTED_TYPES (with a test of its postings) or rebuilds fall back to Whoosh."""
    assert bulk_segments.unsupported_fields(build_schema()) == []


def test_an_unknown_field_type_is_refused(tmp_path: Path) -> None:
    ix = index.create_in(str(tmp_path), Schema(id=build_schema()["id"], grams=NGRAM(minsize=2, maxsize=3)))
    assert bulk_segments.unsupported_fields(ix.schema) == ["grams (NGRAM)"]
    with pytest.raises(bulk_segments.UnsupportedSchemaError, match="grams"):
        bulk_rebuild.build_index(ix, [{"id": "a", "grams": "abc"}], procs=1, documents_per_segment=10)
    assert ix.doc_count() == 0


def test_demo_corpus_files_are_byte_identical_and_read_back_equal(tmp_path: Path) -> None:
    documents = _documents(DEMO_DIR)
    by_whoosh, by_bulk = _write_both(tmp_path, documents)
    assert _assert_same_files(by_whoosh, by_bulk) >= 8  # terms, postings, arrays, stored, lengths, columns
    ours, theirs = _read_everything(by_bulk), _read_everything(by_whoosh)
    assert len(ours["postings"]) > 3_000 and any(name == "published" for name, _ in ours["postings"])
    assert ours == theirs


_WORDS = ["oil", "Oil", "prices", "crude", "bank", "rates", "the", "a", "I", "x", "1987", "16.25", "café", "naïve",
          "council", "bridge", "running", "runs", "über", "don't", "U.S.", "wheat", "corn", "zürich", "日本"]
_text = st.lists(st.sampled_from(_WORDS + [",", ".", "-", "\n"]), max_size=300).map(" ".join)
_article = st.fixed_dictionaries({
    "title": _text.filter(str.strip),
    "body": _text.filter(str.strip),
    "section": st.sampled_from(["news", "sport", "business", "Local News"]),
    "published": st.one_of(st.none(), st.integers(0, 10**8).map(lambda s: (datetime(2020, 1, 1) + timedelta(seconds=s)).isoformat() + "Z")),
    "authors": st.lists(st.sampled_from(["Ann Lee", "Bo, Jr.", "Zoë"]), max_size=3, unique=True),
    "tags": st.lists(st.sampled_from(["Oil", "energy", "EU, trade"]), max_size=3, unique=True),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(articles=st.lists(_article, min_size=1, max_size=300))
def test_generated_articles_are_written_byte_identical(tmp_path_factory: pytest.TempPathFactory, articles: list[dict[str, Any]]) -> None:
    """Blocks cross 128 postings (common words in 300 articles), lengths past a byte, empty fields."""
    documents = [
        article_fields(load_article({"id": f"a{number}", "url": f"https://example.org/{number}", **article}))
        for number, article in enumerate(articles)
    ]
    by_whoosh, by_bulk = _write_both(tmp_path_factory.mktemp("generated"), documents)
    _assert_same_files(by_whoosh, by_bulk)


def _answers(index_dir: Path) -> list[Any]:
    service = SearchService(IndexStore(index_dir))
    answers = []
    for text, page in itertools.product(QUERIES, (1, 2)):
        result = service.search(SearchRequest(q=text, page=page, per_page=10))
        answers.append((
            text, result.total, result.sort, result.date_interval, result.section_facet, result.date_facet,
            result.suggestion, [(hit.article, hit.score, hit.title_html, hit.snippet_html) for hit in result.hits],
        ))
    return answers


def _assert_same_answers(tmp_path: Path, sources: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild by the bulk writer (two processes, several segments) answers as one written by
    Whoosh's writer in one process (in the same order: Whoosh's parallel writer numbers documents
    in the order its processes finish batches, so equal scores come in another order)."""
    with IndexStore(tmp_path / "whoosh").new_generation({}) as (_generation, ix, _meta):
        with ix.writer(**WRITER_OPTIONS) as writer:
            for path in sources:
                for fields in _documents(path):
                    writer.add_document(**fields)
    monkeypatch.setenv("SEARCHSVC_BULK_WRITER", "1")
    build_index(sources, tmp_path / "bulk")
    expected, found = _answers(tmp_path / "whoosh"), _answers(tmp_path / "bulk")
    assert sum(total for _, total, *_ in expected) > 0
    assert found == expected


def test_demo_rebuild_answers_as_whooshs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_segments, "BYTES_PER_ARTICLE", 2**30)  # a segment per article: many segments
    _assert_same_answers(tmp_path, [DEMO_DIR], monkeypatch)
    assert len(IndexStore(tmp_path / "bulk").current().open()._read_toc().segments) > 2


def test_reuters_rebuild_answers_as_whooshs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "reuters.jsonl"
    with gzip.open(shared_path("corpora", "reuters21578", "reuters.jsonl.gz"), "rt", encoding="utf-8") as lines:
        source.write_text("".join(itertools.islice(lines, 6000)), "utf-8")
    monkeypatch.setattr(bulk_segments, "BYTES_PER_ARTICLE", 2**30 // 1000)  # segments of ~1,000 articles
    _assert_same_answers(tmp_path, [source], monkeypatch)
