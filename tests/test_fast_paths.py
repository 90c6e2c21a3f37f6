"""Each speed-up gives exactly what the Whoosh code it replaces gives.

* posting arrays (searchsvc/posting_arrays.py) hold every title and body posting Whoosh
  wrote, and the vocabulary's words, through live updates, deletions and merges; a pool's
  weights read by document equal those found in each term's list;
* columns read in bulk (search/columns.py) equal Whoosh's per-document reads;
* ranking every match with numpy (Ranker.scores) gives Whoosh's collector's scores and order;
* highlighting from bulk tokens gives whoosh.highlight.highlight()'s output;
* the words one edit away are the ones Whoosh's Levenshtein automaton finds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import highlight
from whoosh.automata.fsa import find_all_matches
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.automata.lev import levenshtein_automaton

from searchsvc.articles import Article
from searchsvc.posting_arrays import RANKED_FIELDS, SegmentPostings, _encode, _exact_compact
from searchsvc.search.feedback import _analyzed_words
from searchsvc.search.columns import MISSING_TICKS, ColumnCache, SectionVocabulary
from searchsvc.search.highlight import (
    MAX_ANALYZED_CHARS, MAX_FRAGMENTS, TOKEN_CHAR, Highlighter, SkippingContextFragmenter, _highlight,
)
from searchsvc.search.postings import CountedWords, PlainQueryMatcher, PostingsCache, _read_postings
from searchsvc.search.query import QueryParser
from searchsvc.search.ranking import Ranker, RankingSettings, best
from searchsvc.search import SearchRequest, SearchService
from searchsvc.search.vocabulary import Vocabulary
from searchsvc.index_analysis import TOKEN
from searchsvc.store import WRITER_OPTIONS, IndexStore, apply_changes, index_words, text_analyzer
from tests.support import DEMO_DIR, build_index

FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}


def _assert_arrays_equal_whoosh(index_dir: Path) -> int:
    """Compares every ranked field's term in every segment; returns how many segments."""
    ix = IndexStore(index_dir).current().open()
    with ix.reader() as reader:
        leaves = [leaf for leaf, _offset in reader.leaf_readers()]
        for leaf in leaves:
            arrays = SegmentPostings.of(leaf)
            assert arrays is not None, f"segment {leaf.segment().segment_id()} has no posting arrays"
            for field in RANKED_FIELDS:
                terms = list(leaf.lexicon(field))
                for term in terms:
                    ids, weights = arrays.postings(field, term)
                    expected_ids, expected_weights = _read_postings(leaf, field, term)
                    assert np.array_equal(ids, expected_ids) and np.array_equal(weights, expected_weights), (field, term)
                hashes = np.array([hash(term.decode()) for term in terms] + [hash("notaword")], dtype=np.int64)
                totals = arrays.frequencies(field, hashes)
                assert totals.tolist() == [leaf.frequency(field, term) for term in terms] + [0.0]
                _assert_pool_weights_equal_lists(arrays, field, terms, leaf.doc_count_all())
            assert arrays.postings(field, b"notaword")[0].size == 0
            assert arrays.postings(field, b"\xffnot utf-8")[0].size == 0, "bytes that are not UTF-8 are simply not a term"
            assert arrays._arrays[f"{field}.weights"].dtype == np.uint16, "whole-number weights are kept in two bytes"
            words, frequencies = arrays.words("words")
            assert list(zip(words, frequencies.tolist())) == [(term.decode(), info.doc_frequency()) for term, info in leaf.iter_field("words")]
        return len(leaves)


def _assert_pool_weights_equal_lists(arrays: SegmentPostings, field: str, terms: list[bytes], documents: int) -> None:
    """Terms' weights in a pool of documents read by document equal those found in each term's list."""
    texts = terms[:: max(1, len(terms) // 12)] + [b"notaword"]
    texts += texts[:2]  # a term asked for twice ("wheat^2 wheat") fills both its rows
    lists = [arrays.postings(field, text) for text in texts]
    rng = np.random.default_rng(7)
    for size in sorted({0, 1, min(17, documents), documents}):  # every document too: deleted ones, and ones without postings at the end
        pool = np.sort(rng.choice(documents, size, replace=False)).astype(np.int64)
        expected = np.zeros((len(texts), pool.size))
        for row, (ids, weights) in enumerate(lists):
            for column, docnum in enumerate(pool.tolist()):
                if docnum in ids:
                    expected[row, column] = weights[ids.tolist().index(docnum)]
        found = arrays.pool_weights(field, texts, pool, max_postings=10**9)
        assert found is not None
        assert np.array_equal(found[0], expected) and found[1].tolist() == [ids.size for ids, _weights in lists]
        if expected.any():
            assert arrays.pool_weights(field, texts, pool, max_postings=0) is None, "more postings than allowed: read by list"


def _assert_columns_equal_whoosh(index_dir: Path) -> None:
    """Field lengths and dates read in bulk equal Whoosh's one-document-at-a-time reads."""
    ix = IndexStore(index_dir).current().open()
    with ix.reader() as reader:
        columns = ColumnCache(SectionVocabulary(), RANKED_FIELDS).columns(reader, str(index_dir))
        for docnum in range(reader.doc_count_all()):
            for field in RANKED_FIELDS:
                assert columns.lengths[field][docnum] == (reader.doc_field_length(docnum, field, 1) or 1)
        for leaf, _offset in reader.leaf_readers():  # the codec's in-memory lengths equal Whoosh's reader's
            whooshs = W3PerDocReader(leaf._storage, leaf.segment())
            for docnum in range(leaf.doc_count_all() + 1):
                for field in (*RANKED_FIELDS, "words", "section"):
                    assert leaf._perdoc.doc_field_length(docnum, field, 7) == whooshs.doc_field_length(docnum, field, 7)
        published = [value for leaf, _ in reader.leaf_readers() for value in leaf.column_reader("published", translate=False)]
        assert [ticks if ticks != MISSING_TICKS else 2**64 - 1 for ticks in columns.ticks.tolist()] == published


def _assert_document_words_equal_analysis(index_dir: Path) -> None:
    """Documents' words from the arrays (by document) equal re-analyzing their stored text:
    each document alone, and runs of documents across segments for feedback's "in at least
    two of them" (the hashes merge a word's title and body postings, and its segments')."""
    ix = IndexStore(index_dir).current().open()
    postings = PostingsCache()
    fields = list(RANKED_FIELDS)

    def named(words: CountedWords | None) -> dict[str, float]:
        assert words is not None
        names = words.name(range(words.hashes.size))
        assert words.hashes.tolist() == [hash(name) for name in names]
        return dict(zip(names, words.occurrences.tolist()))

    with ix.searcher() as searcher:
        docnums = list(searcher.reader().all_doc_ids())
        for docnum in docnums:
            stored = searcher.stored_fields(docnum)
            expected = Counter(word for _position, word in index_words(stored["title"] + "\n" + stored["body"]))
            assert named(postings.document_words(searcher.reader(), [docnum], fields, 1)) == expected, stored["id"]
        for begin in range(0, len(docnums), 3):
            group = docnums[begin : begin + 7]
            assert named(postings.document_words(searcher.reader(), group, fields, 2)) == named(_analyzed_words(searcher, group, fields, 2)), group


def test_posting_arrays_hold_every_posting_through_updates(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index([DEMO_DIR], index_dir)
    generation = IndexStore(index_dir).current()
    ix = generation.open()
    stop_words_only = Article(id="empty-body", title="Of the", body="a an the of to", published=None)
    apply_changes(ix, [("upsert", stop_words_only), ("upsert", Article(id="hg-2025-001", title="Bridge news", body="A new bridge."))])
    apply_changes(ix, [("delete", "hg-2025-002"), ("upsert", Article(id="late", title="Late bridge", body="Bridges, later."))])
    assert _assert_arrays_equal_whoosh(index_dir) >= 2
    _assert_columns_equal_whoosh(index_dir)
    _assert_document_words_equal_analysis(index_dir)
    # Merged into one segment (as Whoosh's merge policy does with small ones): it has its arrays too.
    ix.writer(**WRITER_OPTIONS).commit(optimize=True)
    assert _assert_arrays_equal_whoosh(index_dir) == 1
    leftovers = [p.name for p in generation.path.glob("*.tpa")]
    assert len(leftovers) == 1, f"arrays of merged segments were not removed: {leftovers}"


def test_weights_are_compacted_only_when_exact() -> None:
    whole = np.array([1, 2, 65535], dtype=np.float32)
    assert _exact_compact(whole).dtype == np.uint16 and np.array_equal(_exact_compact(whole), whole)
    for kept in ([1.0, 2.5], [1.0, 65536.0], [-1.0, 2.0]):
        weights = np.array(kept, dtype=np.float32)
        assert _exact_compact(weights).dtype == np.float32 and np.array_equal(_exact_compact(weights), weights)


def test_a_segment_whose_array_file_lacks_an_array_is_read_through_whoosh(tmp_path: Path) -> None:
    """An index written by an earlier version (before the forward index) answers the same, not 500."""
    index_dir = tmp_path / "index"
    build_index([DEMO_DIR], index_dir)
    service = SearchService(IndexStore(index_dir))
    request = SearchRequest(q="bridge council", per_page=5)
    expected = service.search(request)
    (path,) = IndexStore(index_dir).current().path.glob("*.tpa")
    arrays = SegmentPostings(str(path))._arrays
    path.write_bytes(_encode({name: values for name, values in arrays.items() if not name.endswith(".doc_starts")}))
    ix = IndexStore(index_dir).current().open()
    with ix.reader() as reader:
        assert [SegmentPostings.of(leaf) for leaf, _offset in reader.leaf_readers()] == [None]
    found = SearchService(IndexStore(index_dir)).search(request)
    assert found.total == expected.total > 0
    assert [(hit.article.id, hit.snippet_html) for hit in found.hits] == [(hit.article.id, hit.snippet_html) for hit in expected.hits]


@pytest.fixture(scope="module")
def reuters_searcher(reuters_index: Path) -> Any:
    ix = IndexStore(reuters_index).current().open()
    with ix.searcher() as searcher:
        yield searcher


RANKED_QUERIES = [
    "oil", "oil prices", "bank rates", "oil OR gas", "oil -gas", "oil NOT crude", "(oil OR gas) AND price^3",
    "wheat^2 corn", "oil AND NOT (gas OR opec)", "bank (rate OR rates)", "oil ANDMAYBE gas", "japan trade surplus deficit",
    "wheat^2 wheat corn grain export",  # a word twice, and enough words to be read by document
]


@pytest.mark.parametrize("text", RANKED_QUERIES)
def test_numpy_ranking_equals_whooshs_collector(reuters_searcher: Any, reuters_index: Path, text: str) -> None:
    searcher = reuters_searcher
    postings = PostingsCache()
    ranker = Ranker(RankingSettings(), FIELD_WEIGHTS, postings)
    parsed = QueryParser(searcher.schema, FIELD_WEIGHTS["title"], 200).parse(text, searcher.reader())
    ranked = ranker.query(parsed)
    live = np.fromiter(searcher.reader().all_doc_ids(), dtype=np.int64)
    matched = PlainQueryMatcher(searcher.reader(), postings, live).matching(parsed)
    assert matched is not None and matched.size > 0
    columns = ColumnCache(SectionVocabulary(), tuple(FIELD_WEIGHTS)).columns(searcher.reader(), str(reuters_index))
    scores = ranker.scores(searcher, ranked, matched, columns.lengths)
    assert scores is not None, "a plain query fell back to Whoosh's collector"
    whoosh = searcher.search(ranked, limit=200, scored=True)
    mine = best(matched, scores, 200)
    assert [hit.docnum for hit in whoosh] == [docnum for docnum, _ in mine]
    assert np.allclose([hit.score for hit in whoosh], [score for _, score in mine], rtol=1e-12, atol=0)


WORDS = ["bridge", "bridges", "Bridging", "the", "of", "a", "I", "will", "willing", "oil", "U.S.", "prices", "priced",
         "café", "İstanbul", "x", "2025", "3.5", "co-op", "...", "oil*", "*", "a*b"]
SEPARATORS = [" ", "  ", ", ", ". ", "\n", "! ", "-", "—", ".", "..", "_", " " * 45, " ... ", ".\n\n", "*", ".*"]


def test_the_highlighters_token_characters_are_the_analyzers() -> None:
    assert TOKEN.pattern == rf"{TOKEN_CHAR}+(?:\.?{TOKEN_CHAR}+)*"


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=0, max_size=120),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=120, max_size=120),
    query=st.sets(st.sampled_from(["bridg", "oil", "price", "will", "the", "café", "istanbul", "u.s", "2025", "x"]), min_size=1),
)
def test_highlighting_equals_whooshs_highlight(words: list[str], separators: list[str], query: set[str]) -> None:
    text = "".join(word + separator for word, separator in zip(words, separators))
    highlighter = Highlighter()
    expected_snippet = highlight.highlight(
        text[:MAX_ANALYZED_CHARS], query, text_analyzer(),
        highlight.ContextFragmenter(maxchars=highlighter.snippet_fragmenter.maxchars, surround=highlighter.snippet_fragmenter.surround,
                                    charlimit=MAX_ANALYZED_CHARS),
        highlighter.formatter, top=MAX_FRAGMENTS, order=highlight.FIRST,
    )
    assert highlighter.snippet(text, query) == (" ".join(expected_snippet.split()) if expected_snippet else highlighter.snippet(text, set()))
    expected_title = highlight.highlight(text, query, text_analyzer(), highlight.WholeFragmenter(charlimit=MAX_ANALYZED_CHARS), highlighter.formatter, top=1)
    assert highlighter.title(text, query) == (expected_title or highlighter.title(text, set()))


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=0, max_size=80),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=80, max_size=80),
    query=st.sets(st.sampled_from(["bridg", "oil", "price", "will", "u.s", "2025"]), min_size=1),
    surround=st.integers(min_value=1, max_value=40),
    maxchars=st.integers(min_value=3, max_value=120),
)
def test_the_skipping_fragmenter_equals_whooshs_at_any_size(
    words: list[str], separators: list[str], query: set[str], surround: int, maxchars: int
) -> None:
    """Small windows put fragment edges everywhere: where tokenizing resumes must not show."""
    text = "".join(word + separator for word, separator in zip(words, separators))
    formatter = Highlighter().formatter
    expected = highlight.highlight(
        text, query, text_analyzer(), highlight.ContextFragmenter(maxchars=maxchars, surround=surround, charlimit=MAX_ANALYZED_CHARS),
        formatter, top=MAX_FRAGMENTS, order=highlight.FIRST,
    )
    mine = SkippingContextFragmenter(maxchars=maxchars, surround=surround, charlimit=MAX_ANALYZED_CHARS)
    assert _highlight(text, query, mine, formatter, top=MAX_FRAGMENTS) == expected


def _automaton_near(vocabulary: Vocabulary, word: str, max_distance: int) -> list[tuple[int, str]]:
    """What Vocabulary.near gave before: one Whoosh Levenshtein automaton per distance."""
    seen, found = {word}, []
    for distance in range(1, max_distance + 1):
        automaton = levenshtein_automaton(word, distance, prefix=1).to_dfa()
        for match in find_all_matches(automaton, vocabulary._first_at_or_after):
            if match not in seen:
                seen.add(match)
                found.append((distance, match))
    return found


VOCABULARY = Vocabulary(sorted(["bridge", "bridges", "bride", "brudge", "ridge", "bridged", "brig", "b", "br", "café", "cafe", "caf", "cafés", "oil", "oils", "soil", "boil", "o"]), np.ones(18, dtype=np.int64))


@settings(max_examples=300, deadline=None)
@given(word=st.text(alphabet="bridgecafésoil", min_size=1, max_size=9), max_distance=st.sampled_from([1, 2]))
def test_words_one_edit_away_equal_the_levenshtein_automatons(word: str, max_distance: int) -> None:
    assert list(VOCABULARY.near(word, max_distance)) == _automaton_near(VOCABULARY, word, max_distance)
