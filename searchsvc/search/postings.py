"""Which documents match a plain query, computed over posting lists held as numpy arrays.

Walking Whoosh's matchers yields one document at a time in Python: a broad query over
Reuters-21578 spent most of its time there just to count facets. Here each term's posting
list is a sorted numpy array: a slice of the segment's memory-mapped posting arrays
(searchsvc/posting_arrays.py), or, for a segment without them, read once block by block
and cached (bounded in bytes, shared by the threads of a process); AND/OR/NOT become numpy
set operations in C. Queries with parts that need positions or ranges (phrases, date ranges)
return None and take Whoosh's own path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from whoosh import query as wq
from whoosh.query.ranges import RangeMixin
from whoosh.reading import IndexReader, TermNotFound

from searchsvc.posting_arrays import SegmentPostings
from searchsvc.search.cache import LruCache

CACHE_BYTES = 48 * 1024 * 1024
MAPPED_SEGMENTS = 64
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class CountedWords:
    """Words with how often each occurs in some documents, known by their ``hash()``; only
    those asked for by ``name`` (their indexes) become strings."""

    hashes: np.ndarray
    occurrences: np.ndarray
    name: Callable[[Sequence[int]], list[str]]


class PostingsCache:
    """Per-segment posting lists (document numbers and weights), shared by a process's threads.

    A segment with posting arrays (searchsvc/posting_arrays.py) answers from its memory
    map; others are read through Whoosh and kept, LRU-bounded in bytes. Deleted documents
    are included: callers keep to live documents (matching filters them, ranking scores
    only matches).
    """

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self._lists: LruCache[tuple[np.ndarray, np.ndarray]] = LruCache(max_bytes, _list_bytes)
        self._segments: LruCache[SegmentPostings | None] = LruCache(MAPPED_SEGMENTS)

    def postings(self, leaf: IndexReader, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(sorted document numbers, weights) of a term in one segment."""
        mapped = self._segment(leaf)
        if mapped is not None:
            found = mapped.postings(fieldname, text)
            if found is not None:
                return found
        key = (leaf.segment().segment_id(), fieldname, text)
        return self._lists.get_or_load(key, lambda: _read_postings(leaf, fieldname, text))

    def document_words(self, reader: IndexReader, docnums: Sequence[int], fieldnames: list[str], least: int) -> CountedWords | None:
        """The words in at least ``least`` of the documents (any of ``fieldnames`` counting) and
        how often each occurs in them in all, from the posting arrays (the postings' weights
        less the fields' boosts); None when a document's segment has none.

        numpy over every posting of the documents, a word known by its string's hash (the
        same in every field and segment, where term numbers are not), so that only the words
        finally chosen become strings: Python's Counter over every word of ten articles cost
        more than the rest of feedback. Two of a few thousand words sharing a 64-bit hash is
        a chance of about 1e-13.
        """
        docs = np.sort(np.asarray(docnums, dtype=np.int64))
        leaves = reader.leaf_readers()
        edges = docs.searchsorted([offset for _leaf, offset in leaves] + [reader.doc_count_all()]).tolist()
        hashes, documents, counts, sources, numbers = [], [], [], [], []
        terms: list[list[str]] = []  # each (segment, field)'s terms by number
        for (leaf, offset), begin, end in zip(leaves, edges, edges[1:]):
            if begin == end:
                continue
            mapped = self._segment(leaf)
            if mapped is None or not all(name in mapped.fields for name in fieldnames):
                return None
            for name in fieldnames:
                found, weights, where = mapped.document_postings(name, docs[begin:end] - offset)  # type: ignore[misc]
                hashes.append(mapped.term_hashes(name)[found])
                documents.append(where + begin)
                counts.append(np.rint(weights / (reader.schema[name].format.field_boost or 1.0)))
                sources.append(np.full(found.size, len(terms)))
                numbers.append(found)
                terms.append(mapped.terms(name))
        if not hashes or not sum(part.size for part in hashes):
            return CountedWords(np.zeros(0, dtype=np.int64), np.zeros(0), lambda indexes: [])
        # Sorted by (word, document): a word's postings side by side, and a document's copies of it.
        every, document = np.concatenate(hashes), np.concatenate(documents)
        order = np.lexsort((document, every))
        every, document = every[order], document[order]
        new_word = np.concatenate(([True], every[1:] != every[:-1]))
        starts = np.flatnonzero(new_word)
        new_document = (new_word | np.concatenate(([True], document[1:] != document[:-1]))).astype(np.int64)  # title and body count once
        shared = np.add.reduceat(new_document, starts) >= least
        first = order[starts[shared]]  # each kept word's first posting
        source, number = np.concatenate(sources)[first], np.concatenate(numbers)[first]

        def name(indexes: Sequence[int]) -> list[str]:
            return [terms[at][term] for at, term in zip(source[indexes].tolist(), number[indexes].tolist())]

        return CountedWords(every[starts[shared]], np.add.reduceat(np.concatenate(counts)[order], starts)[shared], name)

    def pool_weights(self, leaf: IndexReader, fieldname: str, texts: list[bytes], docnums: np.ndarray, max_postings: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Each term's weight in each of the segment's ``docnums`` and each term's posting count,
        read by document (:meth:`SegmentPostings.pool_weights`); None when the segment has no
        arrays for the field or the documents have more than ``max_postings`` postings."""
        mapped = self._segment(leaf)
        return mapped.pool_weights(fieldname, texts, docnums, max_postings) if mapped is not None else None

    def frequencies(self, reader: IndexReader, fieldname: str, words: CountedWords) -> np.ndarray:
        """Each word's total weight in the index, Whoosh's ``reader.frequency()``, for many at
        once: by hash where a segment has posting arrays, else by name."""
        totals = np.zeros(words.hashes.size)
        for leaf, _offset in reader.leaf_readers():
            mapped = self._segment(leaf)
            found = mapped.frequencies(fieldname, words.hashes) if mapped is not None else None
            if found is None:
                found = np.array([leaf.frequency(fieldname, word) for word in words.name(range(totals.size))], dtype=np.float64)
            totals += found
        return totals

    def _segment(self, leaf: IndexReader) -> SegmentPostings | None:
        """The segment's mapped arrays (None without), opened once."""
        return self._segments.get_or_load(leaf.segment().segment_id(), lambda: SegmentPostings.of(leaf))


def _list_bytes(postings: tuple[np.ndarray, np.ndarray]) -> int:
    ids, weights = postings
    return ids.nbytes + weights.nbytes


def _read_postings(leaf: IndexReader, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A term's postings in one segment, block by block with Whoosh's own decoder.

    The raw matcher, not ``leaf.postings()``: that wraps segments with deletions in a
    FilterMatcher, which has no block access.
    """
    try:
        matcher = leaf._terms.matcher(fieldname, text, leaf.schema[fieldname].format)
    except (KeyError, TermNotFound):
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    ids, weights = [], []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.append(np.asarray(matcher._ids, dtype=np.int32))
        weights.append(np.asarray(matcher._weights, dtype=np.float32))
        matcher._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    return np.concatenate(ids), np.concatenate(weights)


class PlainQueryMatcher:
    """Evaluates plain queries (terms, prefixes and wildcards, AND/OR/NOT) for one searcher."""

    def __init__(self, reader: IndexReader, cache: PostingsCache, live: np.ndarray) -> None:
        self.reader = reader
        self.cache = cache
        self.live = live  # sorted document numbers that are not deleted

    def matching(self, parsed: wq.Query) -> np.ndarray | None:
        """Sorted matching document numbers, or None when the query is not plain."""
        try:
            docs = self._docs(parsed)
        except _NotPlain:
            return None
        if docs.size == 0 or self.live.size == self.reader.doc_count_all():  # nothing deleted
            return docs
        return docs[np.isin(docs, self.live, assume_unique=True)]

    def _term(self, fieldname: str, text: bytes) -> np.ndarray:
        parts = [
            self.cache.postings(leaf, fieldname, text)[0].astype(np.int64) + offset
            for leaf, offset in self.reader.leaf_readers()
        ]
        return np.concatenate(parts) if parts else _EMPTY

    def _docs(self, node: wq.Query) -> np.ndarray:
        if isinstance(node, wq.Every):
            return self.live
        if isinstance(node, wq.Term):
            if node.fieldname not in self.reader.schema:
                return _EMPTY
            return self._term(node.fieldname, self.reader.schema[node.fieldname].to_bytes(node.text))
        if isinstance(node, wq.MultiTerm) and not isinstance(node, RangeMixin):  # prefixes, wildcards, fuzzy
            return _union([self._term(node.fieldname, text) for text in node._btexts(self.reader)])
        if isinstance(node, wq.AndNot):
            return np.setdiff1d(self._docs(node.a), self._docs(node.b), assume_unique=True)
        if isinstance(node, wq.AndMaybe):
            return self._docs(node.a)
        if isinstance(node, wq.And):
            positive = [self._docs(q) for q in node.subqueries if not isinstance(q, wq.Not)]
            negative = [self._docs(q.query) for q in node.subqueries if isinstance(q, wq.Not)]
            docs = reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), positive) if positive else self.live
            return np.setdiff1d(docs, _union(negative), assume_unique=True) if negative else docs
        if isinstance(node, wq.Or) and not isinstance(node, wq.DisjunctionMax):
            if node.minmatch and node.minmatch > 1:
                raise _NotPlain
            return _union([self._docs(q) for q in node.subqueries])
        if isinstance(node, wq.Not):
            return np.setdiff1d(self.live, self._docs(node.query), assume_unique=True)
        if isinstance(node, type(wq.NullQuery)):
            return _EMPTY
        raise _NotPlain


class _NotPlain(Exception):
    """The query has a part (phrase, range, ...) that needs Whoosh's matchers."""


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    """The sorted union of sorted arrays: a stable sort of their concatenation (merging the
    runs) and a pass dropping repeats; ``np.unique`` hashes, 30x slower on 80,000 ids."""
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return _EMPTY
    if len(arrays) == 1:
        return arrays[0]
    joined = np.concatenate(arrays)
    joined.sort(kind="stable")
    first = np.empty(joined.size, dtype=bool)
    first[0] = True
    np.not_equal(joined[1:], joined[:-1], out=first[1:])
    return joined[first]
