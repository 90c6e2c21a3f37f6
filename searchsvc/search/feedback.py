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
from math import log2

from whoosh.searching import Searcher

from searchsvc.search.postings import PostingsCache
from searchsvc.store import index_words

MIN_DOCUMENTS = 2


def feedback_words(
    searcher: Searcher, docnums: Sequence[int], text_fields: Iterable[str], statistics_field: str, count: int, postings: PostingsCache
) -> list[tuple[str, float]]:
    """The ``count`` best words of the documents' stored ``text_fields`` by Bo1, with weights
    relative to the best (1.0). Words are analyzed, and counted in the collection, as
    ``statistics_field`` indexes them."""
    text_fields = list(text_fields)
    occurrences: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    for docnum in docnums:
        # The words as the index has them (the analyzer's, summed over the fields), from the
        # posting arrays, else by analyzing the stored text again (index_words: the same, in bulk).
        words = postings.document_counts(searcher.reader(), docnum, text_fields)
        if words is None:
            stored = searcher.stored_fields(docnum)
            words = Counter(word for _position, word in index_words("\n".join(stored.get(name) or "" for name in text_fields)))
        occurrences.update(words)
        documents.update(words.keys())
    total = searcher.doc_count_all()
    needed = min(MIN_DOCUMENTS, len(docnums))
    shared = [word for word in occurrences if documents[word] >= needed]
    collections = postings.frequencies(searcher.reader(), statistics_field, shared)
    scored = []
    for word, collection in zip(shared, collections.tolist()):
        times = occurrences[word]
        if collection:
            mean = collection / total  # the word's expected count in a document
            scored.append((times * log2((1 + mean) / mean) + log2(1 + mean), word))
    best = heapq.nlargest(count, scored)
    return [(word, score / best[0][0]) for score, word in best]
