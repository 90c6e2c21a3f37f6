"""BM25F: one query word scored once over several fields (Robertson, Zaragoza & Taylor 2004).

Whoosh's ``BM25F`` scores each field on its own and adds the scores, so a word in the
headline *and* the lede, as news writing does, counts twice at full strength. Here a
word's counts in each field are length-normalized and weighted first, then added, then
saturated once, with one Robertson-Sparck Jones idf for the word:

    score = boost · idf · (k1 + 1) · tf / (k1 + tf),   tf = Σ_f w_f · count_f / (1 − b + b · len_f / avglen_f)

:func:`pool_scores` does this with numpy for many words and a pool of documents at once
(every match of a query, or the best few hundred re-scored by feedback); for queries with
parts only Whoosh can match, a :class:`FieldedTerm` does it per match through a Whoosh matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from math import log

import numpy as np
from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcher, UnionMatcher, WrappingMatcher
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.util import make_binary_tree

from searchsvc.search.postings import PostingsCache

# What finding a pool's postings costs (µs, measured on Reuters-21578): read by document, a
# fixed part and a part per posting of the pool's documents; looked up in each term's list,
# a part per list. _pool_counts takes the cheaper way.
BY_DOCUMENT_US = 50.0
PER_POSTING_US = 0.01
PER_LIST_US = 12.0


def normalized(count, length, average: float, weight: float, b: float):  # type: ignore[no-untyped-def]
    """A field's weighted, length-normalized count (floats or numpy arrays)."""
    return weight * count / (1 - b + b * length / average)


class FieldedTerm(wq.Query):
    """One word in several fields, scored by BM25F; matches where any of the fields has it."""

    def __init__(self, text: str, field_weights: Mapping[str, float], boost: float, k1: float, b: float) -> None:
        self.text = text
        self.field_weights = dict(field_weights)
        self.boost = boost
        self.k1 = k1
        self.b = b

    def _key(self) -> tuple:  # type: ignore[type-arg]
        return (self.text, tuple(sorted(self.field_weights.items())), self.boost, self.k1, self.b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldedTerm) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"FieldedTerm({self.text!r}, {self.field_weights!r}, boost={self.boost:g})"

    __str__ = __repr__

    def field(self) -> None:
        return None  # several fields

    def terms(self, phrases: bool = False) -> Iterable[tuple[str, str]]:
        return ((name, self.text) for name in self.field_weights)

    def estimate_size(self, ixreader: IndexReader) -> int:
        return sum(ixreader.doc_frequency(name, btext) for name, btext in self._btexts(ixreader.schema))

    def matcher(self, searcher: Searcher, context=None) -> Matcher:  # type: ignore[no-untyped-def]
        reader = searcher.reader()
        fields = [
            _FieldPostings(searcher, name, btext, self.field_weights[name], self.b)
            for name, btext in self._btexts(searcher.schema)
            if (name, btext) in reader
        ]
        if not fields:
            return NullMatcher()
        parent = searcher.get_parent()
        frequency = max((parent.doc_frequency(name, btext) for name, btext in self._btexts(searcher.schema)), default=0)
        return _BM25FMatcher(fields, self._scale(frequency, parent.doc_count_all()), self.k1)

    def _btexts(self, schema) -> list[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
        return [(name, schema[name].to_bytes(self.text)) for name in self.field_weights if name in schema]

    def _scale(self, frequency: int, documents: int) -> float:
        """boost · idf · (k1 + 1); the idf's document frequency is the word's in the field
        where it is most common, standing in for "in any field" (the body usually holds
        the title's words)."""
        idf = log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
        return self.boost * idf * (self.k1 + 1)


class _FieldPostings:
    """One field's postings of a word, with what BM25F needs to normalize its counts."""

    def __init__(self, searcher: Searcher, name: str, btext: bytes, weight: float, b: float) -> None:
        self.name = name
        self.reader = searcher.reader()
        self.postings = searcher.postings(name, btext)  # the searcher's, so they keep its time budget
        self.weight = weight
        self.b = b
        self.average = searcher.get_parent().avg_field_length(name) or 1.0
        self.unboost = _unboost(searcher.reader(), name)

    def frequency(self, docnum: int) -> float:
        count = self.postings.weight() * self.unboost
        length = self.reader.doc_field_length(docnum, self.name, 1) or 1
        return normalized(count, length, self.average, self.weight, self.b)

    def copy(self) -> "_FieldPostings":
        twin = _FieldPostings.__new__(_FieldPostings)
        twin.__dict__.update(self.__dict__, postings=self.postings.copy())
        return twin


class _BM25FMatcher(WrappingMatcher):
    """The union of a word's postings in several fields, scored by BM25F."""

    def __init__(self, fields: list[_FieldPostings], scale: float, k1: float) -> None:
        super().__init__(make_binary_tree(UnionMatcher, [f.postings for f in fields]))
        self.fields = fields
        self.scale = scale
        self.k1 = k1

    def copy(self) -> "_BM25FMatcher":
        return _BM25FMatcher([f.copy() for f in self.fields], self.scale, self.k1)

    def replace(self, minquality: float = 0) -> Matcher:
        return self if self.is_active() else NullMatcher()

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return self.scale  # tf / (k1 + tf) < 1: a true upper bound, so pruning stays exact

    def block_quality(self) -> float:
        return self.scale

    def score(self) -> float:
        docnum = self.child.id()
        frequency = sum(f.frequency(docnum) for f in self.fields if f.postings.is_active() and f.postings.id() == docnum)
        return self.scale * frequency / (self.k1 + frequency)


def _unboost(reader: IndexReader, name: str) -> float:
    """Postings weights include the schema's index-time field boost; BM25F wants counts."""
    return 1.0 / (reader.schema[name].format.field_boost or 1.0)


def pool_scores(
    words: Sequence[FieldedTerm], searcher: Searcher, pool: np.ndarray, lengths: Mapping[str, np.ndarray], postings: PostingsCache
) -> np.ndarray:
    """Each word's score (a row per word) in each document of ``pool`` (sorted document
    numbers; 0 where absent), the same as the words' matchers give, for all words at once.

    ``searcher`` is a top-level one; ``lengths``: each field's length by document number.
    The words share k1 and b (they come from one Ranker).
    """
    reader = searcher.reader()
    k1, b = (words[0].k1, words[0].b) if words else (0.0, 0.0)
    frequency = np.zeros((len(words), pool.size))
    documents = np.zeros(len(words), dtype=np.int64)  # postings, deleted documents included, as Whoosh counts
    schema = searcher.schema
    names = [name for name in dict.fromkeys(name for word in words for name in word.field_weights) if name in schema]
    for name in names:
        rows = [row for row, word in enumerate(words) if name in word.field_weights]
        texts = [schema[name].to_bytes(words[row].text) for row in rows]
        counts, sizes = _pool_counts(postings, reader, name, texts, pool)
        documents[rows] = np.maximum(documents[rows], sizes)
        weights = np.array([[words[row].field_weights[name]] for row in rows])
        average = searcher.avg_field_length(name) or 1.0
        frequency[rows] += normalized(counts * _unboost(reader, name), lengths[name][pool], average, weights, b)
    total = searcher.doc_count_all()
    scales = np.array([[word._scale(int(found), total)] for word, found in zip(words, documents.tolist())]).reshape(len(words), 1)
    return scales * frequency / (k1 + frequency)


def _pool_counts(
    postings: PostingsCache, reader: IndexReader, name: str, texts: list[bytes], pool: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each term's weight (a row per term) in each document of ``pool`` (sorted), 0 where absent,
    and each term's posting count.

    Many terms over a small pool (feedback's ten words over the 200 best matches) are read by
    document, from the forward index, when that costs less; else the pool's documents are
    looked up in each sorted list by binary search: a feedback word is often common, and
    reading its whole list (tens of thousands of postings) to score a pool of 200 cost more
    time, and brought more of the index into memory, than the rest."""
    counts = np.zeros((len(texts), pool.size))
    sizes = np.zeros(len(texts), dtype=np.int64)
    max_postings = int((len(texts) * PER_LIST_US - BY_DOCUMENT_US) / PER_POSTING_US)  # read by document up to this many
    leaves = reader.leaf_readers()
    # The pool is sorted and segments' numbers ascend: each segment's documents are one slice of it.
    edges = pool.searchsorted([offset for _leaf, offset in leaves] + [reader.doc_count_all()]).tolist()
    for (leaf, offset), begin, end in zip(leaves, edges, edges[1:]):
        local = pool[begin:end] - offset
        by_document = postings.pool_weights(leaf, name, texts, local, max_postings) if max_postings > 0 else None
        if by_document is not None:
            counts[:, begin:end], found = by_document
            sizes += found
            continue
        lists = [postings.postings(leaf, name, text) for text in texts]
        sizes += [ids.size for ids, _weights in lists]
        if begin == end:
            continue
        for row, (ids, weights) in enumerate(lists):
            if ids.size == 0:
                continue
            wanted = local.astype(ids.dtype)  # the list's own type: no converted copy of it
            at = np.minimum(np.searchsorted(ids, wanted), ids.size - 1)
            found = ids[at] == wanted
            counts[row, begin + np.flatnonzero(found)] = weights[at[found]]
    return counts, sizes
