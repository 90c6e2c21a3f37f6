"""The reader's query string turned into a bounded Whoosh query.

Whoosh's own parser gives us the query language (words, phrases, AND/OR/NOT, ``-word``,
``title:word``, ``prefix*``). Around it we add what a public search box needs: bare ``*``
means "everything", field wildcards cannot expand over the whole term dictionary, a query
looks for a bounded number of words, and every multi-term expansion (wildcards, prefixes,
ranges) is done once, before anything runs, within bounds on both the words it matches and
the index words it may examine to find them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import islice

from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcher, WrappingMatcher
from whoosh.query.compound import PreloadedOr
from whoosh.qparser import AndGroup, MultifieldParser, OrGroup, PlusMinusPlugin, WordNode
from whoosh.reading import IndexReader
from whoosh.searching import SearchContext, Searcher
from whoosh.fields import Schema

from searchsvc.search.model import SearchError

SEARCH_FIELDS = ("title", "body")
MAX_QUERY_CHARS = 1_000
# Words (a phrase counts each of its words) one field may be searched for: each costs a
# posting-list walk, and long phrases of common words cost seconds on 19,000 articles.
MAX_QUERY_WORDS = 32
# Index words all wildcards and ranges of one query may examine: ``*qzx*`` matches little
# but has to read the whole word list of a field to find out.
MAX_SCANNED_TERMS = 20_000
# All the index words a query's wildcards and ranges may expand to, in max_expansions: each
# is a posting list to open and merge (one pattern at the limit in title and body fits).
EXPANSIONS_PER_QUERY = 2
# Text Whoosh's parser reads as nothing but words: runs of ASCII letters and digits between
# whitespace, none of them one of its operators (upper case only, as it reads them).
_PLAIN_WORDS = re.compile(r"[A-Za-z0-9]+(?:\s+[A-Za-z0-9]+)*", re.ASCII)
_WORD = re.compile(r"[A-Za-z0-9]+")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})
# Search as you type: the last word, when the text ends in one, is completed as a prefix; a
# one-letter word would expand to hundreds of words (over max_expansions) and narrow little.
MIN_PREFIX_CHARS = 2
_LAST_WORD = re.compile(r"(?<![\w*?])(\w+)$")


class QueryParser:
    """Parses reader queries for one schema; reuse it (building a parser is not free)."""

    def __init__(self, schema: Schema, title_boost: float, max_expansions: int) -> None:
        self._field_boosts = {"title": title_boost}
        self._parser = MultifieldParser(list(SEARCH_FIELDS), schema, fieldboosts=self._field_boosts)
        self._parser.add_plugin(PlusMinusPlugin())
        self.max_expansions = max_expansions

    def parse(self, text: str, reader: IndexReader, prefix_last: bool = False) -> wq.Query:
        """Return the query; raise SearchError (parameter ``q``) for one we will not run.

        ``prefix_last``: the last word is a prefix (``brid`` -> ``brid*``), expanded within
        the same bounds as any wildcard, when it has MIN_PREFIX_CHARS letters or more.
        """
        text = last_word_as_prefix(text.strip()) if prefix_last else text.strip()
        if len(text) > MAX_QUERY_CHARS:
            raise SearchError(f"q is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}.", "q")
        if text in ("", "*"):
            return wq.Every()
        parsed = self._parse(text)
        if _is_null(parsed):
            # Only negative parts ("-sports"): Whoosh drops them; they mean "all but these".
            parsed = self._parse("* " + text)
            if _is_null(parsed) or isinstance(parsed, wq.Every):
                raise SearchError("q has no searchable words.", "q", "invalid_query")
        _check_size(parsed)
        return self._expand(parsed, reader)

    def _parse(self, text: str) -> wq.Query:
        plain = self._parse_plain_words(text)
        if plain is not None:
            return plain
        try:
            return self._parser.parse(text).accept(_every_field_to_every).normalize()
        except Exception as error:  # Whoosh raises assorted types for odd syntax
            raise SearchError(f"q could not be parsed: {error}", "q", "invalid_query") from error

    def _parse_plain_words(self, text: str) -> wq.Query | None:
        """Whoosh's parse of ``text`` when it is only plain words, else None.

        Whoosh's parser costs ~0.5 ms a query (it tries each of its syntax rules at every
        character), and most queries are a few plain words. Of those it makes this syntax
        tree: every word required, in title (boosted) or body; its own nodes turn the tree
        into the query (analyzing each word per field, dropping stop words, keeping each
        word's place in the text for "did you mean").
        """
        if not _PLAIN_WORDS.fullmatch(text):
            return None
        words = list(_WORD.finditer(text))
        if any(word.group() in _OPERATORS for word in words):
            return None
        # Whoosh's parse ends with normalize(); _parse's _every_field_to_every leaves words alone.
        return AndGroup([
            OrGroup([_word_node(word, field, self._field_boosts.get(field, 1.0)) for field in SEARCH_FIELDS])
            for word in words
        ]).query(self._parser).normalize()

    def _expand(self, parsed: wq.Query, reader: IndexReader) -> wq.Query:
        """Every wildcard, prefix and range replaced by the index words it matches.

        Expanding once here means matching, scoring and highlighting reuse the words
        instead of walking the word list again each.
        """
        scanner = _ScanBudget(reader, MAX_SCANNED_TERMS)
        total_limit = EXPANSIONS_PER_QUERY * self.max_expansions
        expanded: list[_Expanded] = []

        def expand(node: wq.Query) -> wq.Query:
            if not isinstance(node, wq.MultiTerm):
                return node
            try:
                words = list(islice(node._btexts(scanner), self.max_expansions + 1))
            except _ScanExhausted:
                raise SearchError(
                    f"'{node}' would scan too much of the index's word list; "
                    "put more letters before the first * or ? (or narrow the range).",
                    "q",
                    "query_too_broad",
                ) from None
            if len(words) > self.max_expansions:
                raise SearchError(
                    f"'{node}' matches more than {self.max_expansions} different words; "
                    "make it more specific (more letters before the *, or a narrower range).",
                    "q",
                    "query_too_broad",
                )
            expanded.append(_Expanded(node, words))
            if sum(len(e.words) for e in expanded) > total_limit:
                raise SearchError(
                    f"the wildcards and ranges in q match more than {total_limit} different words in all; "
                    "use fewer or more specific ones.",
                    "q",
                    "query_too_broad",
                )
            return expanded[-1]

        return parsed.accept(expand)


class _ScanExhausted(Exception):
    pass


class _ScanBudget:
    """The index reader as wildcards and ranges see it: word-list walks count against a budget."""

    def __init__(self, reader: IndexReader, budget: int) -> None:
        self._reader = reader
        self.left = budget

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._reader, name)

    def expand_prefix(self, fieldname: str, prefix: str) -> Iterator[bytes]:
        return self._counted(self._reader.expand_prefix(fieldname, prefix))

    def lexicon(self, fieldname: str) -> Iterator[bytes]:
        return self._counted(self._reader.lexicon(fieldname))

    def terms_from(self, fieldname: str, prefix: str) -> Iterator[tuple[str, bytes]]:
        return self._counted(self._reader.terms_from(fieldname, prefix))

    def _counted(self, items: Iterable):  # type: ignore[no-untyped-def]
        for item in items:
            self.left -= 1
            if self.left < 0:
                raise _ScanExhausted
            yield item


class _Expanded(wq.MultiTerm):
    """A wildcard, prefix or range with its index words already found (see ``_expand``)."""

    def __init__(self, original: wq.MultiTerm, words: list[bytes]) -> None:
        self.fieldname = original.field()
        self.boost = original.boost
        self.words = tuple(words)
        self.label = str(original)

    def __str__(self) -> str:
        return self.label

    __unicode__ = __str__

    def __repr__(self) -> str:
        return f"_Expanded({self.label!r}, {len(self.words)} words)"

    def __eq__(self, other: object) -> bool:
        return type(other) is _Expanded and (self.fieldname, self.words, self.boost) == (other.fieldname, other.words, other.boost)

    def __hash__(self) -> int:
        return hash((self.fieldname, self.words, self.boost))

    def _btexts(self, ixreader: IndexReader) -> Iterator[bytes]:
        return iter(self.words)

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> Matcher:
        """The words OR-ed by Whoosh's pre-loading union: it reads blocks of documents from
        each posting list, where the default tree of hundreds of binary unions costs seconds."""
        words = [wq.Term(self.fieldname, word) for word in self.words]
        return _WithoutQualitySkipping(PreloadedOr(words, boost=self.boost).matcher(searcher, context))


class _WithoutQualitySkipping(WrappingMatcher):
    """Opts out of Whoosh's score-bound pruning: over a union of hundreds of posting lists
    every bound check visits them all, several times per document (tens of seconds on
    Reuters). An infinite bound is a true one, and makes every such check a no-op."""

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return math.inf

    def replace(self, minquality: float = 0) -> Matcher:
        return self if self.child.is_active() else NullMatcher()


def last_word_as_prefix(text: str) -> str:
    """``text`` with a ``*`` after its last word: when it ends in a plain word (not in a
    phrase, not an operator, not a field name) of MIN_PREFIX_CHARS characters or more."""
    found = _LAST_WORD.search(text)
    if found is None or len(found.group(1)) < MIN_PREFIX_CHARS or found.group(1) in _OPERATORS or text.count('"') % 2:
        return text
    return text + "*"


def _check_size(parsed: wq.Query) -> None:
    """Refuse queries that look for more than MAX_QUERY_WORDS words in any one field."""
    per_field: Counter[str] = Counter()
    for leaf in parsed.leaves():
        per_field[leaf.field() or ""] += len(leaf.words) if isinstance(leaf, wq.Phrase) else 1
    words = max(per_field.values(), default=0)
    if words > MAX_QUERY_WORDS:
        raise SearchError(
            f"q looks for {words} words; the limit is {MAX_QUERY_WORDS}. Use fewer, more specific words.",
            "q",
            "query_too_long",
        )


def _word_node(word: re.Match[str], fieldname: str, boost: float) -> WordNode:
    """The node Whoosh's MultifieldPlugin makes of a word for one field."""
    node = WordNode(word.group()).set_range(*word.span())
    node.set_fieldname(fieldname)
    node.set_boost(boost)
    return node


def _every_field_to_every(node: wq.Query) -> wq.Query:
    """``title:*`` walks every term of a field; it means "every document", so say that."""
    if isinstance(node, wq.Every):
        return wq.Every()
    if isinstance(node, wq.Wildcard) and node.text.strip("*") == "":
        return wq.Every()
    return node


def _is_null(parsed: wq.Query) -> bool:
    return isinstance(parsed, type(wq.NullQuery))


def query_words(parsed: wq.Query, reader: IndexReader) -> dict[str, set[str]]:
    """The indexed words (stems, prefix expansions) the query looks for, per field.

    Negated words are left out: they are never in a hit, so nothing to highlight.
    (Whoosh's ``Query.existing_terms`` skips every field after the first one it sees,
    so the leaves are walked here.)
    """
    words: dict[str, set[str]] = {}
    for leaf in positive_part(parsed).leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            words.setdefault(fieldname, set()).add(text)
    return words


def positive_part(parsed: wq.Query) -> wq.Query:
    def drop_negations(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Not):
            return wq.NullQuery
        if isinstance(node, wq.AndNot):
            return node.a
        return node

    return parsed.accept(drop_negations)
