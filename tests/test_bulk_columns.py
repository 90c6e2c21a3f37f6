"""The bulk segment writer's numeric fields and columns, made a whole segment at a time, come out
as Whoosh's writer writes them in the cases articles rarely or never bring: a segment where a
column has no value at all, documents without dates or near-duplicate bands (a text without
words has none), a column's default as a value, and values Whoosh converts itself (strings,
lists, aware or far-off datetimes) or refuses (a number out of the field's range)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from whoosh import index

from searchsvc import bulk_rebuild
from searchsvc.articles import load_article
from searchsvc.near_duplicates import BAND_FIELDS, NO_BAND
from searchsvc.store import WRITER_OPTIONS, article_fields, build_schema
from tests.test_bulk_segments import _assert_same_files, _read_everything, _write_both


def _fields(number: int, title: str, body: str, published: str | None = None) -> dict[str, Any]:
    raw = {"id": f"a{number}", "title": title, "body": body, "section": "news", "published": published}
    return article_fields(load_article(raw))


def _column_files(ix: Any) -> set[str]:
    """The names of the fields (and length columns) with a column file in the index's one segment."""
    (segment,) = ix._read_toc().segments
    prefix = f"{ix.indexname}_{segment.segid}."
    return {path.name[len(prefix) : -len(".col")] for path in Path(ix.storage.folder).glob(f"{prefix}*.col")}


def _assert_written_as_whoosh(tmp_path: Path, documents: list[dict[str, Any]], read_back: bool = False) -> Any:
    """The bulk writer's segment files are Whoosh's, byte for byte; with ``read_back``, all
    the index holds reads back the same too (Whoosh cannot read a date column back where a
    document has no date: its default is past the last datetime)."""
    by_whoosh, by_bulk = _write_both(tmp_path, documents)
    _assert_same_files(by_whoosh, by_bulk)
    if read_back:
        assert _read_everything(by_bulk) == _read_everything(by_whoosh)
    return by_bulk


def test_documents_without_dates_or_bands(tmp_path: Path) -> None:
    """Gaps in the date and band columns, and the last documents without either."""
    documents = [
        _fields(0, "Oil prices rise", "Crude oil rose on Monday.", "2021-03-04T05:06:07Z"),
        _fields(1, "-", ".", "2021-03-05T00:00:00Z"),  # no words: no bands
        _fields(2, "Wheat harvest", "The wheat harvest was late this year."),  # no date
        _fields(3, "?", "!"),  # neither
    ]
    assert not any(name in documents[3] for name in (*BAND_FIELDS, "published"))
    ix = _assert_written_as_whoosh(tmp_path, documents)
    assert {"published", "updated", "minhash_00", "minhash_15", "_body_len"} <= _column_files(ix)


def test_a_segment_without_any_date_or_band(tmp_path: Path) -> None:
    """A column no document has a value for has no file (and its field no terms)."""
    documents = [_fields(0, "-", "."), _fields(1, "(", ")")]
    ix = _assert_written_as_whoosh(tmp_path, documents)
    assert not _column_files(ix) & {"published", "updated", *BAND_FIELDS}
    with ix.reader() as reader:
        assert not {"published", "minhash_00"} & {name for name, _ in reader.all_terms()}


def test_values_whoosh_converts_itself(tmp_path: Path) -> None:
    """Numbers as strings or lists, aware, string and far-off dates, and a band equal to its
    column's default (not written: the column ends before a last document that has it)."""
    documents = [
        _fields(number, f"Story {number}", f"Council meets about the bridge, part {number}.", f"2021-05-0{number + 1}T08:00:00Z")
        for number in range(8)
    ]
    documents[0]["minhash_00"] = str(documents[0]["minhash_00"])
    documents[1]["minhash_01"] = [documents[1]["minhash_01"], 12345]
    documents[2]["published"] = datetime(2021, 6, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    documents[3]["published"] = "2021-06-02"
    documents[4]["published"] = datetime(1, 1, 1)
    documents[5]["published"] = datetime(9999, 12, 31, 23, 59, 59, 999999)
    documents[6]["updated"] = datetime(1969, 12, 31, 23, 59, 59, 999999)
    documents[6]["minhash_02"] = NO_BAND
    documents[7]["minhash_03"] = NO_BAND
    documents[7]["minhash_04"] = 0
    _assert_written_as_whoosh(tmp_path, documents, read_back=True)


@pytest.mark.parametrize("band", [-1, 2**64])
def test_a_number_out_of_the_fields_range_is_refused_as_whoosh_refuses_it(tmp_path: Path, band: int) -> None:
    documents = [_fields(0, "Oil prices rise", "Crude oil rose on Monday.")]
    documents[0]["minhash_00"] = band
    ix = index.create_in(str(tmp_path), build_schema())
    with pytest.raises(ValueError, match="out of range"), ix.writer(**WRITER_OPTIONS) as writer:
        writer.add_document(**documents[0])
    with pytest.raises(ValueError, match="out of range"):
        bulk_rebuild.build_index(ix, documents, procs=1, documents_per_segment=10)
    assert ix.doc_count() == 0
