"""Property tests: no input makes a reader raise, and damage never costs the good records
that come before it (or, in JSON Lines, around it)."""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.articles import Article
from searchsvc.sources import Problem, Record, feeds, json_files, jsonl, pages

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Reader = Callable[[Path], Iterator[Record]]
READERS: dict[str, tuple[Reader, str]] = {
    ".jsonl": (jsonl.read, "mixed.jsonl"),
    ".jsonl.gz": (jsonl.read, "mixed.jsonl"),
    ".json": (json_files.read, "array.json"),
    ".txt": (pages.read, "page.txt"),
    ".rss": (feeds.read, "feed.rss"),
    ".atom": (feeds.read, "feed.atom"),
}


def read_bytes_as(reader: Reader, suffix: str, data: bytes) -> list[Record]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        records = list(reader(path))
    assert all(isinstance(record, (Article, Problem)) for record in records)
    return records


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """The original cut short, with random bytes spliced in, or both."""
    data = original[: draw(st.integers(0, len(original)))] if draw(st.booleans()) else original
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        removed = draw(st.integers(0, 8))
        data = data[:at] + draw(st.binary(max_size=16)) + data[at + removed :]
    return data


@pytest.mark.parametrize("suffix", READERS)
@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(suffix: str, data: bytes) -> None:
    reader, _ = READERS[suffix]
    read_bytes_as(reader, suffix, data)


@pytest.mark.parametrize("suffix", READERS)
@FUZZ
@given(data=st.data())
def test_damaged_fixture_never_raises(suffix: str, data: st.DataObject) -> None:
    reader, fixture = READERS[suffix]
    damaged_bytes = data.draw(damaged((FIXTURES / fixture).read_bytes()))
    if suffix.endswith(".gz"):
        packed = gzip.compress(damaged_bytes)
        damaged_bytes = data.draw(damaged(packed))
    read_bytes_as(reader, suffix, damaged_bytes)


@FUZZ
@given(text=st.text(max_size=400), lines=st.lists(st.sampled_from(
    ["Current:Home > NewsA title -Site", "A title", "View", "Date:2025-01-01 00:00:00", "Date:", "veryGood! (3)",
     "Related", "Body text.", "", "\r"]), max_size=12))
def test_page_text_always_gives_exactly_one_record(text: str, lines: list[str]) -> None:
    records = read_bytes_as(pages.read, ".txt", ("\n".join(lines) + text).encode("utf-8", "surrogatepass"))
    assert len(records) == 1


VALID = {"id": "the-good-one", "title": "Still here", "body": "Found among the garbage."}
GARBAGE_LINES = st.one_of(
    st.binary(max_size=80).map(lambda raw: raw.replace(b"\n", b"")),
    st.text(max_size=80).map(lambda text: text.replace("\n", "").encode("utf-8", "surrogatepass")),
    st.sampled_from([
        json.dumps(VALID).encode()[:20],  # a truncated record
        b'{"title": "x"}',
        b"[]",
        b"\xff\xfe\xfd",
        b'{"id": "' + b"z" * (jsonl.MAX_LINE_BYTES + 1) + b'"}',  # an over-long record
    ]),
)


@FUZZ
@given(before=st.lists(GARBAGE_LINES, max_size=5), after=st.lists(GARBAGE_LINES, max_size=5), crlf=st.booleans())
def test_valid_jsonl_record_survives_garbage_around_it(before: list[bytes], after: list[bytes], crlf: bool) -> None:
    good = json.dumps(VALID).encode() + (b"\r" if crlf else b"")
    records = read_bytes_as(jsonl.read, ".jsonl", b"\n".join([*before, good, *after]))
    assert [record.id for record in records if isinstance(record, Article)] == ["the-good-one"]
    assert len(records) <= len(before) + 1 + len(after)


@FUZZ
@given(count=st.integers(1, 30), cut=st.floats(0, 1))
def test_truncated_jsonl_gz_keeps_a_prefix(count: int, cut: float) -> None:
    originals = [f"a{number}" for number in range(count)]
    packed = gzip.compress(b"".join(json.dumps({**VALID, "id": name}).encode() + b"\n" for name in originals))
    data = packed[: int(len(packed) * cut)]
    records = read_bytes_as(jsonl.read, ".jsonl.gz", data)
    kept = [record.id for record in records if isinstance(record, Article)]
    assert kept == originals[: len(kept)]
    if 0 < len(data) < len(packed):  # an empty file is an empty stream, not a cut one
        assert isinstance(records[-1], Problem) and records[-1].location == f"line {len(kept) + 1}"
        assert len(records) == len(kept) + 1
