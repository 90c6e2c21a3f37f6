"""The reader's query string turned into a bounded Whoosh query.

Whoosh's own parser gives us the query language (words, phrases, AND/OR/NOT, ``-word``,
``title:word``, ``prefix*``). Around it we add what a public search box needs: bare ``*``
means "everything", field wildcards cannot expand over the whole term dictionary, and
every multi-term expansion is counted before anything runs.
"""

from __future__ import annotations

from itertools import islice

from whoosh import query as wq
from whoosh.qparser import MultifieldParser, PlusMinusPlugin
from whoosh.reading import IndexReader
from whoosh.fields import Schema

from searchsvc.search.model import SearchError

SEARCH_FIELDS = ("title", "body")
MAX_QUERY_CHARS = 1_000
_EXPANDING = (wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.Regex)


class QueryParser:
    """Parses reader queries for one schema; reuse it (building a parser is not free)."""

    def __init__(self, schema: Schema, title_boost: float, max_expansions: int) -> None:
        self._parser = MultifieldParser(list(SEARCH_FIELDS), schema, fieldboosts={"title": title_boost})
        self._parser.add_plugin(PlusMinusPlugin())
        self.max_expansions = max_expansions

    def parse(self, text: str, reader: IndexReader) -> wq.Query:
        """Return the query; raise SearchError (parameter ``q``) for one we will not run."""
        text = text.strip()
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
        self._check_expansions(parsed, reader)
        return parsed

    def _parse(self, text: str) -> wq.Query:
        try:
            return self._parser.parse(text).accept(_every_field_to_every).normalize()
        except Exception as error:  # Whoosh raises assorted types for odd syntax
            raise SearchError(f"q could not be parsed: {error}", "q", "invalid_query") from error

    def _check_expansions(self, parsed: wq.Query, reader: IndexReader) -> None:
        for leaf in parsed.leaves():
            if isinstance(leaf, _EXPANDING):
                found = sum(1 for _ in islice(leaf._btexts(reader), self.max_expansions + 1))
                if found > self.max_expansions:
                    raise SearchError(
                        f"'{leaf}' matches more than {self.max_expansions} different words; "
                        "make the pattern more specific (more letters before the *).",
                        "q",
                        "query_too_broad",
                    )


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
    for leaf in _positive(parsed).leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            words.setdefault(fieldname, set()).add(text)
    return words


def _positive(parsed: wq.Query) -> wq.Query:
    def drop_negations(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Not):
            return wq.NullQuery
        if isinstance(node, wq.AndNot):
            return node.a
        return node

    return parsed.accept(drop_negations)
