"""The index on disk: bulk index-time analysis writes exactly what the analyzer would, and
readers stay whole while live writes replace the files under them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings, strategies as st
from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.index import FileIndex

from searchsvc.articles import Article
from searchsvc.store import WRITER_OPTIONS, IndexStore, apply_changes, article_fields, build_schema, open_reader, text_analyzer
from tests.support import DEMO_DIR, build_index

ANALYZER = text_analyzer()
BODY_FORMAT = build_schema()["body"].format
TEXTS = [
    "The U.S. Agriculture Department reported the farmer-owned reserve",
    "U.S. co-op e.g. a*b ÉCOLE Straße naïve x.y.z 1,000.50 don't İstanbul",
    "the a of", "", "...", "Kim Jong Un meets Shoigu; the bridges' bridging bridged",
]


def postings(fmt: Positions, text: str) -> list[tuple]:
    return sorted(fmt.word_values(text, ANALYZER))


def test_bulk_positions_equal_the_analyzers_on_tricky_text() -> None:
    for text in TEXTS:
        assert postings(BODY_FORMAT, text) == postings(Positions(field_boost=1.0), text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("abcdeéİß.*'- \nTHE0123") + ["the ", "of ", "U.S. "]), max_size=80).map("".join))
def test_bulk_positions_equal_the_analyzers_on_generated_text(text: str) -> None:
    assert postings(BODY_FORMAT, text) == postings(Positions(field_boost=1.0), text)


def test_a_searcher_keeps_reading_segments_merged_away_by_a_later_write(tmp_path: Path) -> None:
    """A worker's searcher stays on its version while another worker's write merges that
    version's segments away (and Whoosh deletes their files): stored fields, lengths and
    columns are still read, never a 500."""
    index_dir = tmp_path / "index"
    build_index([DEMO_DIR], index_dir)
    ix = IndexStore(index_dir).current().open()
    apply_changes(ix, [("upsert", Article(id="extra", title="Bridge", body="A bridge."))])
    with ix.searcher() as old:
        assert len(old.reader().leaf_readers()) >= 2
        with ix.writer(**WRITER_OPTIONS) as writer:
            writer.add_document(**article_fields(Article(id="merger", title="Merge", body="All in one.")))
            writer.optimize = True  # merges every segment into one and deletes the others' files
        assert len(ix.searcher().reader().leaf_readers()) == 1
        for docnum in old.reader().all_doc_ids():
            assert old.stored_fields(docnum)["title"]
            assert old.reader().doc_field_length(docnum, "body", 1) >= 1
        assert sum(1 for _ in old.reader().leaf_readers()[0][0].column_reader("published", translate=False)) > 0


class _CommitAfterPostingsOpen(FileStorage):
    """An index folder where a write commits (as another worker's would), once, at the worst
    moment for a reader opening it: after it opened a segment's postings, before its stored
    fields."""

    def __init__(self, path: Path, commit: Callable[[], None]) -> None:
        super().__init__(str(path))
        self._commit: Callable[[], None] | None = commit

    def open_file(self, name: str, **kwargs):  # type: ignore[no-untyped-def]
        opened = super().open_file(name, **kwargs)
        if name.endswith(".pst") and self._commit is not None:
            commit, self._commit = self._commit, None
            commit()
        return opened


def test_a_reader_opened_while_a_write_merges_its_segment_away_is_whole(tmp_path: Path) -> None:
    """The 500 CI saw while writes and searches ran together: the write merged the segment
    being opened and deleted its files, and the reader came back without stored fields."""
    folder = tmp_path / "index"
    folder.mkdir()
    writer_side = index.create_in(str(folder), build_schema())
    apply_changes(writer_side, [("upsert", Article(id=f"a{n}", title=f"Bridge {n}", body="A bridge.")) for n in range(3)])

    def merging_write() -> None:
        with writer_side.writer(**WRITER_OPTIONS) as writer:
            writer.add_document(**article_fields(Article(id="merger", title="Merge", body="All in one.")))
            writer.optimize = True  # one new segment; the old one's files are deleted

    ix = FileIndex(_CommitAfterPostingsOpen(folder, merging_write))
    reader = open_reader(ix)
    assert ix.storage._commit is None, "the write did not land while the reader opened"
    assert sorted(reader.stored_fields(docnum)["id"] for docnum in reader.all_doc_ids()) == ["a0", "a1", "a2", "merger"]
    assert reader.generation() == ix.latest_generation()
