"""The index schema: bulk index-time analysis must write exactly what the analyzer would."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st
from whoosh.formats import Positions

from searchsvc.articles import Article
from searchsvc.store import WRITER_OPTIONS, IndexStore, apply_changes, article_fields, build_schema, text_analyzer
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
