"""Plain-word queries skip Whoosh's parser (QueryParser._parse_plain_words) and still get
exactly the query it makes: the same terms, boosts and structure, and the same place of
each word in the text (which "did you mean" reads)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS
from whoosh.filedb.filestore import RamStorage
from whoosh.reading import IndexReader

from searchsvc.search.model import SearchError
from searchsvc.search.query import QueryParser, _every_field_to_every
from searchsvc.store import build_schema

SCHEMA = build_schema()
TITLE_BOOST = 2.0
PARSER = QueryParser(SCHEMA, TITLE_BOOST, 200)
WHOOSH_ONLY = QueryParser(SCHEMA, TITLE_BOOST, 200)
WHOOSH_ONLY._parse_plain_words = lambda text: None  # type: ignore[method-assign]
READER: IndexReader = RamStorage().create_index(SCHEMA).reader()

PLAIN = ["grain", "exports", "coffee", "prices", "oil", "bank", "rates", "Coffee", "Grain", "OIL", "ExPorts", "1987", "42", "x", "I"]
OPERATORS = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "TO", "and", "or", "not", "to", "And", "Not"]
ODD = [
    "don't", "co-op", "U.S.", "3.5", "o'neil", "e-mail", "it's", "café", "İstanbul", "grain*", "gr?in", "*", "?", "+grain", "-grain",
    "title:grain", "body:", "*:*", '"grain', 'grain"', "'grain'", "(grain", "grain)", "[a TO z]", "{1 to 9}", "grain^2", "^3",
    "grain~", "~", ",", ".", "!", "-", "+", ":", ";", "&", "|", "/", "#", "_",
]
WORDS = st.one_of(st.sampled_from(PLAIN), st.sampled_from(sorted(STOP_WORDS)), st.sampled_from(OPERATORS), st.sampled_from(ODD))
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\t", "\n", " \t ", "\u00a0", "\u2003", ""])


def _whoosh_parse(text: str) -> wq.Query:
    """What QueryParser._parse gives through Whoosh's parser."""
    return PARSER._parser.parse(text).accept(_every_field_to_every).normalize()


def _nodes(parsed: wq.Query) -> list[tuple[Any, ...]]:
    """Every node of the tree with its type, field, boost and place in the text (== leaves out places)."""
    nodes = [(type(parsed), parsed.field(), parsed.boost, getattr(parsed, "startchar", None), getattr(parsed, "endchar", None))]
    for child in parsed.children():
        nodes += _nodes(child)
    return nodes


def _outcome(parser: QueryParser, text: str) -> tuple[Any, ...]:
    try:
        parsed = parser.parse(text, READER)
    except SearchError as error:
        return ("refused", error.message, error.parameter, error.code)
    return ("query", parsed, _nodes(parsed))


@settings(max_examples=1000, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=40), separators=st.lists(SEPARATORS, min_size=40, max_size=40))
def test_the_fast_path_gives_whooshs_query(words: list[str], separators: list[str]) -> None:
    text = "".join(word + separator for word, separator in zip(words, separators))
    fast = PARSER._parse_plain_words(text.strip())
    if fast is not None:
        expected = _whoosh_parse(text.strip())
        assert fast == expected
        assert _nodes(fast) == _nodes(expected)
    assert _outcome(PARSER, text) == _outcome(WHOOSH_ONLY, text)


@settings(max_examples=500, deadline=None)
@given(
    words=st.lists(st.one_of(st.sampled_from(PLAIN), st.sampled_from(sorted(STOP_WORDS)), st.sampled_from(OPERATORS)), min_size=1, max_size=12),
    separators=st.lists(st.sampled_from([" ", "  ", "\t", " \n "]), min_size=12, max_size=12),
)
def test_only_operators_keep_plain_words_from_the_fast_path(words: list[str], separators: list[str]) -> None:
    text = "".join(word + separator for word, separator in zip(words, separators)).strip()
    fast = PARSER._parse_plain_words(text)
    assert (fast is None) == any(word in {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"} for word in words)
    if fast is not None:
        assert fast == _whoosh_parse(text) and _nodes(fast) == _nodes(_whoosh_parse(text))


def test_plain_words_take_the_fast_path() -> None:
    fast = PARSER._parse_plain_words("grain exports")
    assert fast == wq.And([
        wq.Or([wq.Term("title", "grain", boost=TITLE_BOOST), wq.Term("body", "grain")]),
        wq.Or([wq.Term("title", "export", boost=TITLE_BOOST), wq.Term("body", "export")]),
    ])
    assert [(leaf.startchar, leaf.endchar) for leaf in fast.leaves()] == [(0, 5), (0, 5), (6, 13), (6, 13)]
    assert PARSER._parse_plain_words("Coffee prices 1987") is not None
    assert PARSER._parse_plain_words("the") is wq.NullQuery  # stop words only: parse() then goes on as before


@pytest.mark.parametrize("text", [
    "title:grain", '"grain exports"', "grain*", "gr?in", "-grain", "+grain", "grain AND exports", "NOT grain", "grain^2",
    "(grain)", "[a TO z]", "U.S.", "co-op", "don't", "café", "grain\u00a0exports", "*:*", "grain~",
])
def test_other_queries_take_whooshs_parser(text: str) -> None:
    assert PARSER._parse_plain_words(text) is None
