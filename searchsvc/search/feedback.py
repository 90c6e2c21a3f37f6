"""Pseudo-relevance feedback: the words that best describe what some documents share.

Ranking takes them from the best matches, related articles from the article itself.

Bo1, the Bose-Einstein model of Divergence From Randomness (Amati 2003), as Terrier uses
it for query expansion and Whoosh's :class:`~whoosh.classify.Expander` implements it: a
word scores by how much more often it occurs in the top documents than its collection
frequency predicts. As in Terrier (``expansion.mindocuments``), a word must occur in at
least two of them: a word of one article says little about what the best ones share,
and skipping those spares most of the collection-frequency look-ups.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from whoosh.searching import Searcher

from searchsvc.search.postings import CountedWords, PostingsCache
from searchsvc.store import index_words

MIN_DOCUMENTS = 2


def feedback_words(
    searcher: Searcher, docnums: Sequence[int], text_fields: Iterable[str], statistics_field: str, count: int, postings: PostingsCache
) -> list[tuple[str, float]]:
    """The ``count`` best words of the documents' stored ``text_fields`` by Bo1, with weights
    relative to the best (1.0). Words are analyzed, and counted in the collection, as
    ``statistics_field`` indexes them."""
    text_fields = list(text_fields)
    needed = min(MIN_DOCUMENTS, len(docnums))
    # The words as the index has them, from the posting arrays, else by analyzing the stored text again.
    counted = postings.document_words(searcher.reader(), docnums, text_fields, needed)
    if counted is None:
        counted = _analyzed_words(searcher, docnums, text_fields, needed)
    collection = postings.frequencies(searcher.reader(), statistics_field, counted)
    present = np.flatnonzero(collection > 0)
    mean = collection[present] / searcher.doc_count_all()  # each word's expected count in a document
    scores = counted.occurrences[present] * np.log2((1 + mean) / mean) + np.log2(1 + mean)
    if scores.size > count:  # only the best (and any tied with the last of them) are named and ranked
        contenders = np.flatnonzero(scores >= np.partition(scores, -count)[-count])
        present, scores = present[contenders], scores[contenders]
    best = heapq.nlargest(count, zip(scores.tolist(), counted.name(present)))
    return [(word, score / best[0][0]) for score, word in best]


def _analyzed_words(searcher: Searcher, docnums: Sequence[int], text_fields: list[str], needed: int) -> CountedWords:
    """:meth:`PostingsCache.document_words` for segments without posting arrays: the stored
    text analyzed again (index_words: as the index analyzes it, in bulk)."""
    occurrences: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    for docnum in docnums:
        stored = searcher.stored_fields(docnum)
        words = Counter(word for _position, word in index_words("\n".join(stored.get(name) or "" for name in text_fields)))
        occurrences.update(words)
        documents.update(words.keys())
    shared = [word for word in occurrences if documents[word] >= needed]
    return CountedWords(
        np.fromiter(map(hash, shared), dtype=np.int64, count=len(shared)),
        np.array([occurrences[word] for word in shared], dtype=np.float64),
        lambda indexes: [shared[i] for i in indexes],
    )
